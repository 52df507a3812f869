"""Masking of secret values in anything we print, save or post.

Secrets are collected while loading (variables declared secret, the API key, webhook auth headers) and every
renderer, logger and error path passes its text through one `Redactor`.

A secret reaches output in more forms than the one it was written in: JSON-escaped (once, or twice inside a JSON
string inside JSON), URL-encoded, HTML/XML-escaped, or with its case changed by whoever echoes it (an error
message, an evaluator's rationale). Each known secret is masked in all of those forms, case-insensitively.

Secrets applied in the past are known only by fingerprint: the state record keeps a keyed hash of each (never the
value). A redactor that was given fingerprints also checks every window of the text it masks against them, so the
old value of a rotated secret, read back from the live workspace, is recognised, learned and masked like the
current ones (docs/decisions/0090).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "(sensitive value)"

# Values shorter than this are not masked as substrings: masking every "1" or "yes" would destroy output
# without protecting anything that deserves the name secret.
MIN_SECRET_LENGTH = 4
_MIN_SECRET_LENGTH = MIN_SECRET_LENGTH
# `$secret:<digest>`: how saved plans and the state record write a secret value they must not hold.
SECRET_TOKEN = re.compile(r"\$secret:([0-9a-f]{32})")
_SCAN_CACHE_LIMIT = 4096


def secret_digest(salt: str, value: str) -> str:
    """The token digest of one secret value: salted, so equal secrets in two files do not give equal tokens."""
    return hashlib.sha256(f"{salt}\0{value}".encode()).hexdigest()[:32]


def fingerprint(salt: str, value: str) -> str:
    """The fingerprint under which a secret is remembered: of its lower-cased form, so echoes in any case match."""
    return secret_digest(salt, value.lower())


def token_digests(salt: str, secrets: Iterable[str]) -> dict[str, str]:
    """secret value -> digest, for the values long enough to be secrets."""
    return {secret: secret_digest(salt, secret) for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH}


def tokenise(value: Any, digests: Mapping[str, str]) -> Any:
    """`value` with each secret of `digests` (value -> digest) replaced by its `$secret:` token, keys included."""
    if isinstance(value, str):
        for secret in sorted(digests, key=len, reverse=True):
            value = value.replace(secret, f"$secret:{digests[secret]}")
        return value
    if isinstance(value, dict):
        return {tokenise(key, digests): tokenise(item, digests) for key, item in value.items()}
    if isinstance(value, list):
        return [tokenise(item, digests) for item in value]
    return value


def detokenise(value: Any, values: Mapping[str, str], *, strict: bool = True) -> Any:
    """Tokens put back from `values` (digest -> value); an unknown token raises KeyError, or stays when not strict."""
    if isinstance(value, str):
        return SECRET_TOKEN.sub(lambda m: values[m[1]] if strict else values.get(m[1], m[0]), value)
    if isinstance(value, dict):
        return {detokenise(k, values, strict=strict): detokenise(v, values, strict=strict) for k, v in value.items()}
    if isinstance(value, list):
        return [detokenise(item, values, strict=strict) for item in value]
    return value


def resolve_tokens(recorded: Any, seen: Any, salt: str) -> Any:
    """`recorded` with each string that still holds `$secret:` tokens replaced by the string at the same place in
    `seen`, when `seen` is that string with a value of the token's digest in each token's place.

    The state record keeps a rotated secret's old value as a token; the live side still holds the value itself, so
    this is how the two are compared without the record ever holding it.
    """
    if isinstance(recorded, str):
        return seen if isinstance(seen, str) and _fits(recorded, seen, salt) else recorded
    if isinstance(recorded, dict) and isinstance(seen, dict):
        return {key: resolve_tokens(item, seen.get(key), salt) for key, item in recorded.items()}
    if isinstance(recorded, list) and isinstance(seen, list) and len(recorded) == len(seen):
        return [resolve_tokens(item, other, salt) for item, other in zip(recorded, seen, strict=True)]
    return recorded


def _fits(template: str, text: str, salt: str) -> bool:
    parts = SECRET_TOKEN.split(template)
    if len(parts) == 1:
        return False
    # split() alternates literal text and token digests: literal, digest, literal, ...
    pattern = "".join(re.escape(part) if index % 2 == 0 else "(.+?)" for index, part in enumerate(parts))
    match = re.fullmatch(pattern, text, re.DOTALL)
    digests = parts[1::2]
    return match is not None and all(
        secret_digest(salt, value) == digest for value, digest in zip(match.groups(), digests, strict=True)
    )


def encoded_forms(secret: str) -> set[str]:
    """The forms a secret takes when it travels inside JSON, a URL, HTML/XML or a log line of any of these."""
    json_once = json.dumps(secret, ensure_ascii=False)[1:-1]
    forms = {
        secret,
        json_once,
        json.dumps(json_once, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces every known secret value, in any of its encoded forms, with `MASK`, in strings and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._salt = ""
        # fingerprint -> length of the secret it stands for
        self._fingerprints: dict[str, int] = {}
        self._scanned: dict[str, str] = {}
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH} - self._secrets
        if new:
            self._secrets |= new
            forms = sorted({form for secret in self._secrets for form in encoded_forms(secret)}, key=len, reverse=True)
            # Longest first, so a secret that contains another is masked whole.
            self._pattern = re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)

    def remember(self, salt: str, fingerprints: Mapping[str, int]) -> None:
        """Recognise the secrets of these fingerprints (see `fingerprint`) wherever they appear from now on."""
        if fingerprints and salt != self._salt:
            self._salt, self._fingerprints = salt, {}
        self._fingerprints.update(fingerprints)
        self._scanned.clear()

    @property
    def secrets(self) -> frozenset[str]:
        """Every secret value known, those learned from fingerprints included."""
        return frozenset(self._secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets or self._fingerprints)

    def text(self, value: str) -> str:
        if self._fingerprints and value not in self._scanned:
            self._learn_from(value)
        if self._pattern is None:
            return value
        return self._pattern.sub(MASK, value)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def _learn_from(self, value: str) -> None:
        """Add every window of `value` whose fingerprint is remembered: an applied secret seen again."""
        folded = value.lower()
        if len(folded) != len(value):  # a few letters lower-case to two characters; windows must line up
            folded = value
        found = []
        for length in set(self._fingerprints.values()):
            for start in range(len(folded) - length + 1):
                if fingerprint(self._salt, folded[start : start + length]) in self._fingerprints:
                    found.append(value[start : start + length])
        if len(self._scanned) >= _SCAN_CACHE_LIMIT:
            self._scanned.clear()
        self._scanned[value] = ""
        self.add(*found)


NO_SECRETS = Redactor()
