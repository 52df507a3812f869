"""Session-wide hooks: the request contract (tests/contract/recording.py) judges every request agentform sends."""

from tests.contract.recording import pytest_sessionfinish, pytest_sessionstart, pytest_terminal_summary

__all__ = ["pytest_sessionfinish", "pytest_sessionstart", "pytest_terminal_summary"]
