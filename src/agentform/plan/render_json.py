"""A plan as JSON: the `Plan` model plus a `summary`, with a stable `format_version` (docs/plans.md).

The same document is the saved plan (`plan --out plan.json`, `apply plan.json`): `plan/saved.py` reads it back.
Compatibility rule: a minor `format_version` bump only adds fields; readers accept any `1.x`.
"""

from __future__ import annotations

import json
from typing import Any

from agentform.plan.model import Plan
from agentform.redact import NO_SECRETS, Redactor


def plan_document(plan: Plan, *, redactor: Redactor = NO_SECRETS) -> dict[str, Any]:
    """The JSON-ready dict: every field of the plan, then `summary` (counts, derived; ignored when loading).

    Field changes are masked by the planner already; `redactor` also masks the payloads, which hold the values
    apply sends (pass it for anything printed; `saved.save_plan` keeps payloads whole because apply needs them).
    """
    document = redactor.data(plan.model_dump(mode="json"))
    summary = plan.summary()
    document["summary"] = {**summary.model_dump(mode="json"), "line": summary.line()}
    return document


def render_json(plan: Plan, *, indent: int | None = 2, redactor: Redactor = NO_SECRETS) -> str:
    return json.dumps(plan_document(plan, redactor=redactor), indent=indent, ensure_ascii=False) + "\n"


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a plan document (for docs and for consumers that validate)."""
    schema = Plan.model_json_schema(mode="serialization")
    schema["properties"]["summary"] = {"type": "object", "description": "Derived counts; ignored when loading."}
    return schema
