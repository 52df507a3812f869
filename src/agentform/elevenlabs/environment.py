"""Which ElevenLabs host an environment of agentform.yaml talks to over the network, and the client for it.

`ELEVENLABS_BASE_URL` set -> that URL (a real API host, a proxy or `agentform emulator serve`); else `backend: api`
-> the environment's `base_url` or its residency's host. An environment with neither (`backend: emulator`) is
served in-process: the command layer builds that transport (`agentform.connect`), since this package never knows
the emulator (docs/decisions/0130).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from agentform.elevenlabs.client import ElevenLabsClient
from agentform.elevenlabs.errors import ElevenLabsError
from agentform.model import EnvironmentSettings
from agentform.redact import Redactor

BASE_URL_VARIABLE = "ELEVENLABS_BASE_URL"


def uses_network(environment: EnvironmentSettings, environ: Mapping[str, str]) -> bool:
    """Whether `environment` is reached over the network: `ELEVENLABS_BASE_URL` is set, or `backend: api`."""
    return bool((environ.get(BASE_URL_VARIABLE) or "").strip()) or environment.backend == "api"


def network_client(
    environment: EnvironmentSettings,
    api_key: str,
    environ: Mapping[str, str],
    *,
    parallelism: int,
    redactor: Redactor | None = None,
) -> ElevenLabsClient:
    """A client over the network to the host `environment` names; raises `ElevenLabsError` for an unusable URL."""
    override = (environ.get(BASE_URL_VARIABLE) or "").strip()
    base_url = environment.resolved_base_url(override or None)
    _check_url(base_url, BASE_URL_VARIABLE if override else f"base_url of environment {environment.name!r}")
    return ElevenLabsClient(base_url, api_key, parallelism=parallelism, redactor=redactor)


def _check_url(url: str, origin: str) -> None:
    """Refuse a base URL httpx could not use, naming where it came from, before any request."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise ElevenLabsError(f"{origin} is not a valid URL: {url!r} ({error})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ElevenLabsError(f"{origin} must be an http(s) URL such as http://127.0.0.1:8787, not {url!r}")
