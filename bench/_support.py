"""Helpers shared by the bench scripts (run as `python bench/<script>.py`, so this module is on sys.path)."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    """A loopback port free right now (a server started next takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, timeout: float = 20.0) -> None:
    """Poll `url` until a server answers it at all (any status), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")
