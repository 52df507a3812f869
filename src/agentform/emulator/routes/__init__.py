"""The emulator's routers, one module per API area, plus the admin API."""

from agentform.emulator.routes import admin, agents, versioning

ROUTERS = (agents.router, versioning.router, admin.router)
