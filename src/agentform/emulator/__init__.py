"""A local emulator of the ElevenLabs Agents API (FastAPI over SQLite): see docs/emulator.md."""

from agentform.emulator.app import DEV_API_KEY, create_app

__all__ = ["DEV_API_KEY", "create_app"]
