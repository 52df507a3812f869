"""What a CI run found, as data, and its rendering as the sticky PR comment and the Actions step summary.

`ci pr` and `ci deploy` fill a `CiOutcome` as they go (validation diagnostics, the plan, the agent branches, the
test report, rollbacks) and hand it here: the exit code, the commit status and every piece of text are derived
from it by pure functions, so what the comment says and what the check does can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agentform import exitcodes
from agentform.gitops.comment import Section, compose_comment, marker
from agentform.gitops.rollback import RollbackResult
from agentform.testing.markdown import render_markdown as render_tests_markdown
from agentform.testing.report import TestReport

# "pr-closed": `ci pr` on a pull request that was closed (its agent branches archived when it was not merged).
Kind = Literal["pr", "pr-closed", "deploy", "drift"]
Mode = Literal["online", "offline"]
StatusState = Literal["success", "failure", "error", "pending"]

# Where the ElevenLabs dashboard shows one branch of an agent (only for the real API: the emulator has none).
DASHBOARD_AGENT_URL = "https://elevenlabs.io/app/agents/agents/{agent_id}?branchId={branch_id}"


@dataclass(frozen=True)
class AgentBranch:
    """An agent branch the run created or updated (PR) or merged (deploy)."""

    agent_key: str
    agent_id: str
    branch_id: str
    name: str
    # What happened to it: "created", "updated", "unchanged", "merged", "applied to main", "archived".
    action: str = ""
    version_id: str | None = None


@dataclass
class CiOutcome:
    """Everything one `ci pr` / `ci deploy` run found; filled step by step."""

    kind: Kind
    environment: str
    mode: Mode = "online"
    head_sha: str | None = None
    # Agent branch of the PR (`pr-7`); None for deploys.
    branch: str | None = None
    # Validation errors, each already "file:line:column: message".
    diagnostics: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # GitHub workflow commands (`::error file=...`) that mark each diagnostic on its file in the PR.
    annotations: list[str] = field(default_factory=list)
    # Why each agent was selected (from git change detection).
    selection: list[str] = field(default_factory=list)
    plan_summary: str | None = None
    plan_markdown: str | None = None
    branches: list[AgentBranch] = field(default_factory=list)
    tests: TestReport | None = None
    rollbacks: list[RollbackResult] = field(default_factory=list)
    # Human-readable notes shown at the top (fork PRs, nothing to test, lock waits).
    notes: list[str] = field(default_factory=list)
    # A failure that stopped the run (API error, lock held); already redacted.
    error: str | None = None
    error_exit_code: int = exitcodes.ERROR
    run_url: str | None = None
    dashboard_links: bool = False
    # Drift runs: the live workspace differs from main's files (exit 2, like `plan --detailed-exitcode`).
    drift_found: bool = False

    @property
    def tests_failed(self) -> bool:
        return self.tests is not None and self.tests.status != "passed"

    def exit_code(self) -> int:
        """1 for invalid files or an error, 3 for failed tests (rolled back or not), else 0."""
        if self.diagnostics:
            return exitcodes.ERROR
        if self.error:
            return self.error_exit_code
        if self.tests is not None:
            return self.tests.exit_code()
        return exitcodes.CHANGES if self.drift_found else exitcodes.OK

    def status_state(self) -> StatusState:
        if self.diagnostics or self.tests_failed or self.rollbacks or self.drift_found:
            return "failure"
        return "error" if self.error else "success"

    def headline(self) -> str:
        what = {
            "pr": "plan and tests",
            "pr-closed": "clean-up of a closed PR",
            "deploy": "deploy",
            "drift": "drift check",
        }[self.kind]
        if self.diagnostics:
            return f"❌ agentform {what}: invalid project files"
        if self.error:
            return f"⚠️ agentform {what}: could not finish"
        if self.rollbacks:
            return "❌ agentform deploy: smoke tests failed, main rolled back"
        if self.tests_failed:
            return f"❌ agentform {what}: tests failed"
        if self.drift_found:
            return "⚠️ agentform drift check: the live workspace differs from main"
        if self.mode == "offline":
            return f"ℹ️ agentform {what}: validated and planned offline (no tests)"
        return f"✅ agentform {what}: {'done' if self.kind == 'pr-closed' else 'passed'}"

    def status_description(self) -> str:
        """One line for the commit status (GitHub cuts at 140 characters)."""
        if self.diagnostics:
            text = f"{len(self.diagnostics)} validation error(s)"
        elif self.error:
            text = self.error.splitlines()[0]
        elif self.tests is not None:
            text = self.tests.summary_line()
        else:
            text = self.plan_summary or "no agent changes"
        return text[:140]


def render_comment(outcome: CiOutcome) -> str:
    """The sticky PR comment (or the deploy report): marker first, then everything a reviewer needs."""
    return compose_comment(
        marker_line=marker(outcome.kind, outcome.environment),
        headline=f"### {outcome.headline()}",
        summary=_summary_lines(outcome),
        sections=_sections(outcome),
        footer=_footer(outcome),
    )


def render_full_report(outcome: CiOutcome) -> str:
    """The same content, never cut: the report file uploaded as an artifact and written to the step summary."""
    parts = [f"## {outcome.headline()}", "", *_summary_lines(outcome)]
    for section in _sections(outcome):
        parts += ["", f"### {section.title}", "", section.body]
    footer = _footer(outcome)
    return "\n".join([*parts, "", footer] if footer else parts) + "\n"


def _summary_lines(outcome: CiOutcome) -> list[str]:
    context = [f"Environment `{outcome.environment}`"]
    if outcome.head_sha:
        context.append(f"commit `{outcome.head_sha[:12]}`")
    if outcome.branch:
        context.append(f"agent branch `{outcome.branch}`")
    lines = [" · ".join(context), ""]
    lines += [f"> {note}\n" for note in outcome.notes]
    if outcome.error:
        lines += [f"**Error:** {outcome.error}", ""]
    # A list, so that GitHub shows one figure per line.
    if outcome.plan_summary:
        lines.append(f"- **{outcome.plan_summary}**")
    if outcome.tests is not None:
        lines.append(f"- **{outcome.tests.summary_line()}**")
    for rollback in outcome.rollbacks:
        verdict = "restored exactly" if rollback.ok else f"differs at {', '.join(rollback.mismatches)}"
        lines.append(f"- ↩️ `{rollback.agent_key}` rolled back to `{rollback.restored_version_id}`: {verdict}")
    return lines


def _sections(outcome: CiOutcome) -> list[Section]:
    sections: list[Section] = []
    if outcome.diagnostics:
        body = "\n".join(f"- `{line}`" for line in outcome.diagnostics)
        sections.append(Section(f"Validation errors ({len(outcome.diagnostics)})", body, open=True))
    if outcome.warnings:
        sections.append(Section(f"Warnings ({len(outcome.warnings)})", "\n".join(f"- {w}" for w in outcome.warnings)))
    if outcome.selection:
        sections.append(Section("Affected agents", "\n".join(f"- {line}" for line in outcome.selection)))
    if outcome.plan_markdown:
        sections.append(Section("Plan", outcome.plan_markdown))
    if outcome.branches:
        sections.append(Section("Agent branches", _branch_table(outcome)))
    if outcome.tests is not None:
        sections.append(Section("Tests", render_tests_markdown(outcome.tests), open=outcome.tests_failed))
    return sections


def _branch_table(outcome: CiOutcome) -> str:
    rows = ["| Agent | Branch | Version | |", "|---|---|---|---|"]
    for branch in outcome.branches:
        name = f"`{branch.name}`"
        if outcome.dashboard_links:
            url = DASHBOARD_AGENT_URL.format(agent_id=branch.agent_id, branch_id=branch.branch_id)
            name = f"[{name}]({url})"
        rows.append(f"| `{branch.agent_key}` | {name} | `{branch.version_id or '-'}` | {branch.action} |")
    return "\n".join(rows)


def _footer(outcome: CiOutcome) -> str:
    links = []
    if outcome.run_url:
        links.append(f"[workflow run]({outcome.run_url}) (full report in its artifacts)")
    if outcome.kind == "pr":
        links.append("updated in place on every push")
    return "<sub>agentform · " + " · ".join(link for link in links if link) + "</sub>"
