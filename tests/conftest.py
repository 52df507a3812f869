"""Session-wide hooks: the request contract (tests/contract/recording.py) judges every request agentform sends."""

from tests.contract.recording import (
    pytest_configure,
    pytest_runtest_protocol,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
)

__all__ = [
    "pytest_configure",
    "pytest_runtest_protocol",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
]
