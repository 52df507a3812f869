"""Masking of secret values in anything we print, save or post.

Secrets are collected while loading (variables declared secret, the API key, webhook auth headers) and every
renderer, logger and error path passes its text through one `Redactor`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "(sensitive value)"

# Values shorter than this are not masked as substrings: masking every "1" or "yes" would destroy output
# without protecting anything that deserves the name secret.
_MIN_SECRET_LENGTH = 4


class Redactor:
    """Replaces every known secret value with `MASK`, in strings and in nested JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET_LENGTH:
                self._secrets.add(secret)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value


NO_SECRETS = Redactor()
