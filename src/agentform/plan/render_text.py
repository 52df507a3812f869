"""A plan as terminal text, Terraform style, without colour (the command may colourise by the leading symbol).

    # agent.receptionist will be updated in place
    ~ agent.receptionist (agents/receptionist/agent.yaml)
        ~ conversation_config.agent.prompt.temperature: 0.3 -> 0.5
        ~ conversation_config.agent.prompt.prompt:
            @@ -1,3 +1,3 @@
             line one
            -old line
            +new line

    Plan: 0 to add, 1 to change, 0 to destroy.

The renderer decides nothing: every word comes from the plan's data. Values are already masked by the planner.
"""

from __future__ import annotations

import json
from typing import Any

from agentform.plan.model import FieldChange, Plan, ResourceChange, describe_refs
from agentform.redact import NO_SECRETS, Redactor

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "no-op": " "}
_VERBS = {
    "create": "will be created",
    "update": "will be updated in place",
    "delete": "will be destroyed",
    "replace": "will be replaced by a new version",
    "no-op": "is unchanged",
}
UNSET = "(server default)"
# Values longer than this are cut in one-line renderings; long strings get line diffs anyway.
MAX_VALUE_CHARS = 300


def render_text(plan: Plan, *, redactor: Redactor = NO_SECRETS) -> str:
    """The whole plan as text, ending with the summary line (`redactor`: a second line of defence)."""
    lines = [_title(plan), ""]
    shown = [change for change in plan.changes if is_shown(change)]
    if not shown:
        lines.append("No changes. The live workspace matches the files.")
        lines.append("")
    for change in shown:
        lines.extend(change_lines(change))
        lines.append("")
    lines.extend(f"Warning: {warning}" for warning in plan.warnings)
    lines.extend(footer_lines(plan))
    return redactor.text("\n".join(lines) + "\n")


def is_shown(change: ResourceChange) -> bool:
    """No-ops are hidden unless they carry news (drift kept by `live-wins`, a reason worth reading)."""
    return change.action != "no-op" or change.drift or bool(change.reason)


def headline(change: ResourceChange) -> str:
    """`# agent.x will be updated in place (not carried out: prune disabled)`."""
    return f"# {change.address} {verb(change)}"


def verb(change: ResourceChange) -> str:
    """`will be updated in place`, plus why it will not happen when blocked."""
    words = "will be cleaned up" if change.cleanup else _VERBS[change.action]
    return words + (f" ({change.blocked})" if change.blocked else "")


def change_lines(change: ResourceChange, indent: str = "    ") -> list[str]:
    """One resource: headline, symbol line, drift / conflict notes, then its fields."""
    lines = [headline(change)]
    if change.reason:
        lines.append(f"#   {change.reason}")
    symbol = SYMBOLS[change.action]
    where = f" ({change.source})" if change.source else ""
    lines.append(f"{symbol} {change.address}{where}")
    if change.conflict:
        lines.append(f"{indent}! CONFLICT: changed both in git and outside git")
    if change.drift:
        lines.append(f"{indent}! drift: changed outside git since the last apply:")
        lines.extend(f"{indent}  {line}" for field in change.drift_fields for line in field_lines(field, "live"))
    for field in change.fields:
        lines.extend(f"{indent}{line}" for line in field_lines(field))
    return lines


def field_lines(field: FieldChange, arrow_label: str = "") -> list[str]:
    """`~ path: old -> new`, `+ path: new`, `- path: old -> (server default)`, or a line diff under the path."""
    if not field.before_set:
        symbol = "+"
    elif not field.after_set:
        symbol = "-"
    else:
        symbol = "~"
    note = " (sensitive)" if field.sensitive else ""
    if field.line_diff is not None:
        return [f"{symbol} {field.path}:{note}", *(f"    {line}" for line in diff_body(field.line_diff))]
    after = format_value(field.after) if field.after_set else UNSET
    if symbol == "+":
        return [f"+ {field.path}: {after}{note}"]
    via = f" ({arrow_label})" if arrow_label else ""
    return [f"{symbol} {field.path}: {format_value(field.before)} -> {after}{via}{note}"]


def diff_body(line_diff: str) -> list[str]:
    """The hunks of a unified diff without its `---` / `+++` file header (the path is printed above)."""
    lines = line_diff.splitlines()
    while lines and lines[0].startswith(("---", "+++")):
        lines.pop(0)
    return lines


def format_value(value: Any) -> str:
    """Compact JSON, `$ref:` placeholders shown as "(known after apply: <address>)", long values cut."""
    text = json.dumps(describe_refs(value), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def footer_lines(plan: Plan) -> list[str]:
    summary = plan.summary()
    lines = [summary.line()]
    if summary.blocked:
        lines.append(f"{summary.blocked} delete(s) shown but not carried out (see the reasons above).")
    if summary.drifted:
        lines.append(f"{summary.drifted} resource(s) changed outside git (drift).")
    if summary.conflicts:
        lines.append(
            f"{summary.conflicts} conflict(s): apply refuses until you choose a side (--on-drift git-wins|live-wins)."
        )
    return lines


def _title(plan: Plan) -> str:
    target = f"agent branch {plan.branch}" if plan.branch else "main"
    return f"agentform plan for project {plan.project}, environment {plan.environment} ({target}):"
