"""Saved plans: `plan --out plan.json` writes one, `apply plan.json` loads and checks it.

A saved plan is the JSON of `render_json`. Loading validates the format before anything else: a file that is not
a plan, or a plan of an unknown major `format_version`, is an error naming the file and the field. Staleness is
decided by fingerprints, not text: `check_fresh(plan, live)` compares the saved fingerprint with the fingerprint of
the live state read now.

Secrets never reach the file: payloads hold the values apply sends, so each secret value (the desired state's
`secret_values`) is written as a token `$secret:<digest>` (a salted SHA-256, never the value) and put back on
loading from the secrets of the environment that applies. A secret that changed in between cannot be put back:
loading fails and asks for a new plan, as for any other stale plan.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentform import formats
from agentform.plan.live import LiveState
from agentform.plan.model import FORMAT_VERSION, Plan
from agentform.plan.render_json import plan_document

SUPPORTED_MAJOR = formats.major(FORMAT_VERSION)
_TOKEN = re.compile(r"\$secret:([0-9a-f]{32})")


class PlanFileError(Exception):
    """The file is not a usable saved plan; the message names the file and what is wrong."""


class StalePlanError(Exception):
    """The live state changed since the plan was made (exit code 4)."""


def save_plan(plan: Plan, path: Path, *, secrets: Iterable[str] = ()) -> None:
    """Write `plan` as JSON with every secret value replaced by its token."""
    document = _tokenise(plan_document(plan), _digests(plan.fingerprint, secrets))
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_plan(path: Path, *, secrets: Iterable[str] = ()) -> Plan:
    """Read a saved plan, putting secret values back from `secrets`; `PlanFileError` names what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan file: {error.strerror or error}") from error
    return parse_plan(text, source=str(path), secrets=secrets)


def parse_plan(text: str, *, source: str = "<plan>", secrets: Iterable[str] = ()) -> Plan:
    """A `Plan` from saved JSON, or `PlanFileError` naming `source`, the line (for JSON syntax) and the field."""
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(f"{source}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from error
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanFileError(f"{source}: not an agentform plan (no format_version)")
    version = str(document["format_version"])
    if version.split(".", 1)[0] != SUPPORTED_MAJOR:
        raise PlanFileError(
            f"{source}: format_version {version} is not supported (this agentform reads {SUPPORTED_MAJOR}.x)"
        )
    document.pop("summary", None)
    values = {digest: value for value, digest in _digests(str(document.get("fingerprint", "")), secrets).items()}
    try:
        document = _detokenise(document, values)
    except KeyError as error:
        raise PlanFileError(
            f"{source}: the plan uses a secret value that is not set now (changed since the plan was made?); "
            "run plan again"
        ) from error
    try:
        return Plan.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"{source}: field {where}: {first['msg']}") from error


def _digests(salt: str, secrets: Iterable[str]) -> dict[str, str]:
    # Salted with the plan's fingerprint, so equal secrets in two plans do not give equal tokens.
    return {
        secret: hashlib.sha256(f"{salt}\0{secret}".encode()).hexdigest()[:32]
        for secret in secrets
        if secret and len(secret) >= 4
    }


def _tokenise(value: Any, digests: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for secret in sorted(digests, key=len, reverse=True):
            value = value.replace(secret, f"$secret:{digests[secret]}")
        return value
    if isinstance(value, dict):
        return {_tokenise(key, digests): _tokenise(item, digests) for key, item in value.items()}
    if isinstance(value, list):
        return [_tokenise(item, digests) for item in value]
    return value


def _detokenise(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _TOKEN.sub(lambda match: values[match[1]], value)
    if isinstance(value, dict):
        return {_detokenise(key, values): _detokenise(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_detokenise(item, values) for item in value]
    return value


def check_fresh(plan: Plan, live: LiveState) -> None:
    """Raise `StalePlanError` when `live` is not the state the plan was made from (or another scope)."""
    if (plan.project, plan.environment) != (live.project, live.environment):
        raise StalePlanError(
            f"the plan is for {plan.project}/{plan.environment}, not {live.project}/{live.environment}"
        )
    current = live.fingerprint()
    if current != plan.fingerprint:
        raise StalePlanError(
            f"the live state changed since the plan was made (fingerprint {plan.fingerprint[:12]} is now "
            f"{current[:12]}); run plan again"
        )
