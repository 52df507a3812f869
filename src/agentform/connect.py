"""`open_client`: the ElevenLabs client an environment of agentform.yaml asks for, chosen by configuration only.

This is the command layer's side of the transport seam (httpx's model): it decides which server an environment
talks to and hands the client a transport, so `elevenlabs/` never imports the emulator (docs/decisions/0130).
Order (docs/decisions/0001): `ELEVENLABS_BASE_URL` set or `backend: api` -> the network
(`elevenlabs.environment`); else `backend: emulator` -> the emulator app in-process through
`httpx.ASGITransport`, its state in the environment's `emulator_db` file. The key comes from the variable named by
`api_key_env`; a served emulator gets its development key when that variable is unset, and the in-process
emulator always gets its development key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

from agentform.elevenlabs.client import ElevenLabsClient
from agentform.elevenlabs.environment import network_client, uses_network
from agentform.elevenlabs.errors import MissingApiKeyError
from agentform.model import EnvironmentSettings
from agentform.redact import Redactor

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
    workers = parallelism or environment.parallelism
    if uses_network(environment, environ):
        api_key = environ.get(environment.api_key_env) or None
        if api_key is None:
            if environment.backend != "emulator":
                raise MissingApiKeyError(environment.api_key_env, environment.name)
            api_key = _emulator_dev_key()
        return network_client(environment, api_key, environ, parallelism=workers, redactor=redactor)
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


def _emulator_dev_key() -> str:
    from agentform.emulator import DEV_API_KEY

    return DEV_API_KEY
