"""`agentform emulator serve`: the ElevenLabs API emulator as a real HTTP server (uvicorn)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from agentform import exitcodes

KEY_ENV = "AGENTFORM_EMULATOR_API_KEY"


def accepted_keys(api_keys: Sequence[str], environ: Mapping[str, str]) -> tuple[tuple[str, ...], str]:
    """The keys to accept and where they came from: `--api-key`, else the environment, else the dev key."""
    from agentform.emulator import DEV_API_KEY

    if api_keys:
        return tuple(api_keys), "--api-key"
    from_env = [key.strip() for key in environ.get(KEY_ENV, "").split(",") if key.strip()]
    if from_env:
        return tuple(from_env), KEY_ENV
    return (DEV_API_KEY,), "development key"


def run(
    host: str = "127.0.0.1",
    port: int = 8787,
    db: Path | None = None,
    api_keys: Sequence[str] = (),
    eval_delay: float | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Serve until interrupted; state lives in `db` (a SQLite file) or in memory."""
    import uvicorn

    from agentform.emulator import create_app

    environ = os.environ if environ is None else environ
    out = sys.stderr if out is None else out
    keys, source = accepted_keys(api_keys, environ)
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it uvicorn's h11 protocol writes headers and body
        # separately and Nagle's algorithm holds each response ~40 ms (20 req/s instead of 600).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as error:
        print(f"error: cannot listen on {host}:{port}: {error.strerror}", file=out)
        return exitcodes.ERROR
    app = create_app(str(db) if db else ":memory:", api_keys=keys, eval_delay_secs=eval_delay or 0.0)
    bound_port = sock.getsockname()[1]
    print(f"agentform emulator listening on http://{host}:{bound_port}", file=out)
    print(f"  state: {db or 'in memory (lost on exit)'}", file=out)
    # Only the well-known development key is ever printed; keys the user supplied are secrets.
    key_note = keys[0] if source == "development key" else f"{len(keys)} key(s) from {source}"
    print(f"  api key: {key_note}", file=out)
    print(f"  try: ELEVENLABS_BASE_URL=http://{host}:{bound_port}", file=out)
    out.flush()
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
    return exitcodes.OK
