"""The emulator's routers, one module per API area, plus the admin API."""

from agentform.emulator.routes import (
    admin,
    agents,
    conversations,
    knowledge,
    runs,
    secrets,
    testing,
    tools,
    traffic,
    versioning,
)

ROUTERS = (
    agents.router,
    versioning.router,
    knowledge.router,
    tools.router,
    secrets.router,
    testing.router,
    runs.router,
    conversations.router,
    traffic.router,
    admin.router,
)
