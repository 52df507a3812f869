"""A real emulator HTTP server for end-to-end tests: uvicorn in a background thread on a free loopback port.

    from tests.support.emulator_server import running_emulator

    with running_emulator() as base_url:            # e.g. "http://127.0.0.1:53211"
        httpx.get(f"{base_url}/v1/convai/agents", headers={"xi-api-key": DEV_API_KEY})

Keyword arguments go to `agentform.emulator.create_app` (api_keys, eval_delay_secs, clock). `serving(app)` serves
an app you hold; `serve_process(...)` / `stop_process(...)` run `agentform emulator serve` as a separate process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from agentform.emulator import create_app


@contextmanager
def running_emulator(db_path: str = ":memory:", **create_app_kwargs: Any) -> Iterator[str]:
    """Serve a fresh emulator app over HTTP for the duration of the block; yields its base URL."""
    app = create_app(db_path, **create_app_kwargs)
    with serving(app) as base_url:
        yield base_url


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an existing ASGI app (for tests that need the app object too, e.g. its admin state)."""
    # Binding the socket here (port 0) gives a free port with no window for another process to take it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without it, Nagle's algorithm delays each response ~40 ms (uvicorn's h11 writes headers and body apart).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"emulator:{port}")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_process(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start `agentform emulator serve` (extra CLI args) as a separate process on a free port; (process, base URL)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentform", "emulator", "serve", "--port", str(port), *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/v1/convai/agents", timeout=0.5)
            return process, base_url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start: {process.stderr.read() if process.stderr else ''}")


def stop_process(process: subprocess.Popen) -> str:
    """Stop a served process (SIGTERM) and return what it printed on stderr (its start-up banner)."""
    process.terminate()
    _, err = process.communicate(timeout=10)
    return err
