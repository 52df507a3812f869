"""agentform: GitOps for ElevenLabs voice agents."""

__version__ = "0.1.0"
