"""A plan as JSON: the `Plan` model plus a `summary`, with a stable `format_version` (docs/plans.md).

The same document is the saved plan (`plan --out plan.json`, `apply plan.json`): `plan/saved.py` reads it back.
Compatibility rule: a minor `format_version` bump only adds fields; readers accept any `1.x`.
"""

from __future__ import annotations

import json
from typing import Any

from agentform.plan.model import Plan


def plan_document(plan: Plan) -> dict[str, Any]:
    """The JSON-ready dict: every field of the plan, then `summary` (counts, derived; ignored when loading)."""
    document = plan.model_dump(mode="json")
    summary = plan.summary()
    document["summary"] = {**summary.model_dump(mode="json"), "line": summary.line()}
    return document


def render_json(plan: Plan, *, indent: int | None = 2) -> str:
    return json.dumps(plan_document(plan), indent=indent, ensure_ascii=False, sort_keys=False) + "\n"


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a plan document (for docs and for consumers that validate)."""
    schema = Plan.model_json_schema(mode="serialization")
    schema["properties"]["summary"] = {"type": "object", "description": "Derived counts; ignored when loading."}
    return schema
