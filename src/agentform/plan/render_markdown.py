"""A plan as a GitHub PR comment: summary first, one collapsed `<details>` per resource, `diff` code blocks.

GitHub rejects comments longer than 65,536 characters, and a plan that cannot be posted is worse than a short one.
`render_markdown` therefore never returns more than `max_chars`: resources are added while they fit, a resource too
long on its own is cut line by line, and a note says what was left out. It never fails on size.
"""

from __future__ import annotations

import re

from agentform.escape import printable
from agentform.plan.model import Plan, ResourceChange
from agentform.plan.render_text import SYMBOLS, change_lines, footer_lines, is_shown, verb
from agentform.redact import NO_SECRETS, Redactor

GITHUB_COMMENT_LIMIT = 65_536
_CUT_NOTE = "… ({n} more lines cut to fit the comment limit)"


def render_markdown(
    plan: Plan, *, max_chars: int = GITHUB_COMMENT_LIMIT, title: str | None = None, redactor: Redactor = NO_SECRETS
) -> str:
    """The plan as markdown of at most `max_chars` characters (never fails; truncates with a note)."""
    # Masking happens on the data, before measuring: the mask may be longer than the secret.
    plan = Plan.model_validate(redactor.data(plan.model_dump())) if redactor else plan
    shown = [change for change in plan.changes if is_shown(change)]
    head = _head(plan, title)
    # Room for the longest tail this plan can have (every resource omitted), so the note always fits.
    budget = max_chars - len(head) - len(_tail(plan, omitted=len(shown), total=len(shown)))
    sections: list[str] = []
    for change in shown:
        section = resource_section(change)
        if len(section) > budget:
            section = resource_section(change, max_chars=budget)
            if section:
                sections.append(section)
            break
        sections.append(section)
        budget -= len(section)
    text = printable(head + "".join(sections) + _tail(plan, omitted=len(shown) - len(sections), total=len(shown)))
    # A last resort for absurdly small limits: a cut comment is still better than an error.
    return text if len(text) <= max_chars else text[: max(0, max_chars - 1)] + "…"


def resource_section(change: ResourceChange, *, max_chars: int | None = None) -> str:
    """One `<details>` block; with `max_chars`, its diff lines are cut to fit (empty string when nothing fits)."""
    summary = f"<code>{SYMBOLS[change.action]} {_html(change.address)}</code> {_html(verb(change))}"
    if change.conflict:
        summary = f"⛔ {summary}"
    elif change.drift:
        summary = f"⚠️ {summary}"
    body = change_lines(change)[1:]
    fence = _fence(body)
    opening = f"<details><summary>{summary}</summary>\n\n{fence}diff\n"
    closing = f"{fence}\n</details>\n\n"
    section = opening + "".join(f"{line}\n" for line in body) + closing
    if max_chars is None or len(section) <= max_chars:
        return section
    kept: list[str] = []
    size = len(opening) + len(closing) + len(_CUT_NOTE.format(n=len(body))) + 1
    for line in body:
        if size + len(line) + 1 > max_chars:
            break
        kept.append(line)
        size += len(line) + 1
    if not kept and size > max_chars:
        return ""
    kept.append(_CUT_NOTE.format(n=len(body) - len(kept)))
    return opening + "".join(f"{line}\n" for line in kept) + closing


def _head(plan: Plan, title: str | None) -> str:
    target = f"agent branch `{plan.branch}`" if plan.branch else "main"
    heading = title or f"### agentform plan: `{plan.project}` / `{plan.environment}` ({target})"
    lines = [heading, "", f"**{plan.summary().line()}**", ""]
    lines.extend(f"> ⚠️ {_html(warning)}" for warning in plan.warnings)
    if plan.warnings:
        lines.append("")
    return "\n".join(lines) + "\n"


def _tail(plan: Plan, *, omitted: int, total: int) -> str:
    lines = [line for line in footer_lines(plan)[1:]]
    if not total:
        lines.append("No changes. The live workspace matches the files.")
    if omitted:
        lines.append(
            f"_Plan truncated to fit a GitHub comment: {omitted} of {total} resources not shown. "
            "Run `agentform plan` for the full plan._"
        )
    return "".join(f"{line}\n" for line in lines)


def _fence(lines: list[str]) -> str:
    # A fence longer than any backtick run inside, so a prompt containing ``` cannot close the block early.
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
