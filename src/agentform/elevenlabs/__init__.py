"""The ElevenLabs HTTP client: the only part of agentform that knows the API's URL paths.

`ElevenLabsClient` methods return the API's JSON as plain dicts. The transport is handed in (the network by
default); `agentform.connect.open_client` picks it for an environment of agentform.yaml. Errors: `ApiError`
(non-2xx, `NotFoundError` for 404), `TransportFailure` (no answer after retries), `MissingApiKeyError`; all derive
from `ElevenLabsError`.
"""

from agentform.elevenlabs.client import ElevenLabsClient
from agentform.elevenlabs.environment import BASE_URL_VARIABLE
from agentform.elevenlabs.errors import (
    ApiError,
    ElevenLabsError,
    MissingApiKeyError,
    NotFoundError,
    TransportFailure,
)
from agentform.retrying import RetryPolicy

__all__ = [
    "BASE_URL_VARIABLE",
    "ApiError",
    "ElevenLabsClient",
    "ElevenLabsError",
    "MissingApiKeyError",
    "NotFoundError",
    "RetryPolicy",
    "TransportFailure",
]
