"""Errors raised by the ElevenLabs client, and how the API's own error bodies become one readable message.

The hierarchy is small on purpose (httpx is the model): `ElevenLabsError` for anything the client raises,
`ApiError` when the API answered with a non-2xx status (`NotFoundError` for 404, which callers routinely
handle), `TransportFailure` when no answer came back after every retry, and `MissingApiKeyError` when the
configuration names a key variable that is not set. None of them ever carries the API key: every message is
built from the method, path, resource and the API's message, and passed through the client's `Redactor`.
"""

from __future__ import annotations

import json
from typing import Any

# Long HTML error pages (proxies, load balancers) are cut to this many characters in messages.
_MAX_TEXT_MESSAGE = 300


class ElevenLabsError(Exception):
    """Base class of every error the ElevenLabs client raises."""


class MissingApiKeyError(ElevenLabsError):
    """The environment needs an API key and the variable that should hold it is unset or empty."""

    def __init__(self, variable: str, environment: str) -> None:
        self.variable = variable
        self.environment = environment
        super().__init__(
            f"environment {environment!r} talks to the ElevenLabs API but ${variable} is not set: "
            f"export {variable}=<your API key> (the variable is named by `api_key_env` in agentform.yaml)"
        )


class ApiError(ElevenLabsError):
    """The API answered a request with a non-2xx status.

    `resource` says what the request was about ("agent agent_123", "knowledge-base documents"); `message` is
    the API's own explanation, extracted from its error body; `body` is that body (JSON or text), redacted.
    """

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        resource: str,
        message: str,
        *,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.resource = resource
        self.message = message
        self.body = body
        self.attempts = attempts
        super().__init__(self._describe())

    @property
    def not_found(self) -> bool:
        return self.status == 404

    def _describe(self) -> str:
        retried = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.resource}: {self.method} {self.path} failed with HTTP {self.status}{retried}: {self.message}"


class NotFoundError(ApiError):
    """HTTP 404: the resource does not exist (or is not visible to this key)."""


class TransportFailure(ElevenLabsError):
    """No HTTP answer after every retry: connection refused or dropped, timeouts, protocol errors."""

    def __init__(self, method: str, path: str, resource: str, cause: str, *, attempts: int) -> None:
        self.method = method
        self.path = path
        self.resource = resource
        self.cause = cause
        self.attempts = attempts
        super().__init__(f"{resource}: {method} {path} got no answer after {attempts} attempts: {cause}")


class ResponseShapeError(ElevenLabsError):
    """An answer that is not what the endpoint returns: not JSON, a field of the wrong type, an endless list.

    Trusting it would be worse than failing: a list read as empty makes apply create every resource again.
    """

    def __init__(self, method: str, path: str, resource: str, problem: str) -> None:
        self.method = method
        self.path = path
        self.resource = resource
        self.problem = problem
        super().__init__(f"{resource}: {method} {path} answered {problem}")


def api_error(
    status: int, method: str, path: str, resource: str, message: str, *, body: Any = None, attempts: int = 1
) -> ApiError:
    """The `ApiError` (or subclass) for a status."""
    kind = NotFoundError if status == 404 else ApiError
    return kind(status, method, path, resource, message, body=body, attempts=attempts)


def parse_body(content: bytes, content_type: str) -> Any:
    """An HTTP body as JSON when it is JSON, else as text; None when empty."""
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def error_message(body: Any, reason: str) -> str:
    """The API's explanation from an error body, in its known shapes; `reason` (e.g. "Not Found") otherwise.

    Shapes seen: FastAPI validation errors `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`, ElevenLabs'
    `{"detail": {"status": ..., "message": ...}}`, a plain `{"detail": "..."}`, the SDK's
    `{"error": ..., "message": ...}`, and non-JSON text from proxies.
    """
    if isinstance(body, dict):
        if "detail" in body:
            return _detail_message(body["detail"]) or reason
        for key in ("message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        return json.dumps(body, ensure_ascii=False)[:_MAX_TEXT_MESSAGE]
    if isinstance(body, str) and body.strip():
        text = " ".join(body.split())
        return text if len(text) <= _MAX_TEXT_MESSAGE else text[:_MAX_TEXT_MESSAGE] + "..."
    return reason


def _detail_message(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        message = detail.get("message") or detail.get("msg")
        status = detail.get("status")
        if message and status:
            return f"{message} ({status})"
        return str(message or status or json.dumps(detail, ensure_ascii=False))
    if isinstance(detail, list):
        return "; ".join(_validation_item(item) for item in detail)
    return str(detail)


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = [str(part) for part in item.get("loc", [])]
    # "body" and "query" only say which part of the request; the field path is what a user needs.
    if location and location[0] in ("body", "query", "path"):
        location = location[1:] if len(location) > 1 else location
    message = item.get("msg") or item.get("message") or item.get("type") or "invalid"
    return f"{'.'.join(location)}: {message}" if location else str(message)
