"""`open_client`: the client an environment of agentform.yaml asks for, chosen by configuration only.

Order (docs/decisions/0001): `ELEVENLABS_BASE_URL` set -> the network, to that URL (a real API host, a proxy
or `agentform emulator serve`); else `backend: emulator` -> the emulator app in-process through
`httpx.ASGITransport`, its state in the environment's `emulator_db` file; else the environment's `base_url` or
its residency's host. The key comes from the variable named by `api_key_env`; a served emulator gets its
development key when that variable is unset, and the in-process emulator always gets its development key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

from agentform.elevenlabs.client import ElevenLabsClient
from agentform.elevenlabs.errors import ElevenLabsError, MissingApiKeyError
from agentform.model import EnvironmentSettings
from agentform.redact import Redactor

BASE_URL_VARIABLE = "ELEVENLABS_BASE_URL"
# The in-process emulator is reached through the ASGI transport; the host is never resolved.
EMULATOR_BASE_URL = "http://emulator.local"


def open_client(
    environment: EnvironmentSettings,
    project_root: Path,
    *,
    parallelism: int | None = None,
    redactor: Redactor | None = None,
    environ: Mapping[str, str] | None = None,
) -> ElevenLabsClient:
    """A client for `environment`; raises `MissingApiKeyError` when the API needs a key that is not set."""
    environ = os.environ if environ is None else environ
    override = (environ.get(BASE_URL_VARIABLE) or "").strip()
    api_key = environ.get(environment.api_key_env) or None
    workers = parallelism or environment.parallelism
    if override or environment.backend == "api":
        if api_key is None:
            if environment.backend != "emulator":
                raise MissingApiKeyError(environment.api_key_env, environment.name)
            api_key = _emulator_dev_key()
        base_url = environment.resolved_base_url(override or None)
        _check_url(base_url, BASE_URL_VARIABLE if override else f"base_url of environment {environment.name!r}")
        return ElevenLabsClient(base_url, api_key, parallelism=workers, redactor=redactor)
    # The in-process app accepts only its development key; a real key exported in the shell must not be sent to it
    # (it would be refused, and it has no business leaving the variable).
    transport = emulator_transport(project_root / environment.emulator_db)
    return ElevenLabsClient(
        EMULATOR_BASE_URL, _emulator_dev_key(), transport=transport, parallelism=workers, redactor=redactor
    )


def emulator_transport(db_path: Path) -> httpx.AsyncBaseTransport:
    """An ASGI transport to a fresh emulator app whose state lives in `db_path` (parent folders created)."""
    from agentform.emulator import create_app  # deferred: FastAPI's import costs start-up time of every command

    db_path.parent.mkdir(parents=True, exist_ok=True)
    return httpx.ASGITransport(app=create_app(db_path=str(db_path)))


def _check_url(url: str, origin: str) -> None:
    """Refuse a base URL httpx could not use, naming where it came from, before any request."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise ElevenLabsError(f"{origin} is not a valid URL: {url!r} ({error})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ElevenLabsError(f"{origin} must be an http(s) URL such as http://127.0.0.1:8787, not {url!r}")


def _emulator_dev_key() -> str:
    from agentform.emulator import DEV_API_KEY

    return DEV_API_KEY
