"""The ElevenLabs HTTP client: the only part of agentform that knows the API's URL paths.

`open_client(environment, project_root)` returns an `ElevenLabsClient` for an environment of agentform.yaml;
its methods return the API's JSON as plain dicts. Errors: `ApiError` (non-2xx, `NotFoundError` for 404),
`TransportFailure` (no answer after retries), `MissingApiKeyError`; all derive from `ElevenLabsError`.
"""

from agentform.elevenlabs.client import ElevenLabsClient
from agentform.elevenlabs.environment import BASE_URL_VARIABLE, EMULATOR_BASE_URL, emulator_transport, open_client
from agentform.elevenlabs.errors import (
    ApiError,
    ElevenLabsError,
    MissingApiKeyError,
    NotFoundError,
    TransportFailure,
)
from agentform.elevenlabs.retry import RetryPolicy

__all__ = [
    "BASE_URL_VARIABLE",
    "EMULATOR_BASE_URL",
    "ApiError",
    "ElevenLabsClient",
    "ElevenLabsError",
    "MissingApiKeyError",
    "NotFoundError",
    "RetryPolicy",
    "TransportFailure",
    "emulator_transport",
    "open_client",
]
