"""`--changed-since`: which agents a git change touches, and why, in real temporary repositories."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from agentform.gitops.changes import ChangeDetectionError, changed_agents, changed_paths, select_agents, touched_by_plan
from agentform.model import (
    Desired,
    DesiredAgent,
    DesiredTest,
    EnvironmentSettings,
    KnowledgeRef,
    ProjectSettings,
    SourceLocation,
)
from agentform.plan.model import ResourceChange

FILES = {
    "agentform.yaml": "project: demo\n",
    "agents/clinic/agent.yaml": "name: Clinic\n",
    "agents/clinic/prompt.md": "You are the clinic receptionist.\n",
    "agents/sales/agent.yaml": "name: Sales\n",
    "agents/sales/prompt.md": "You sell.\n",
    "agents/support/agent.yaml": "name: Support\n",
    "knowledge/clinic-faq.md": "Address: Strada Lalelelor 5.\n",
    "knowledge/prices.url": "https://example.com/prices\n",
    "tools/book-appointment.yaml": "type: webhook\n",
    "tools/lookup-order.yaml": "type: webhook\n",
    "tests_specs/clinic/address.yaml": "type: llm\n",
    "tests_specs/support/refund.yaml": "type: tool\n",
    "README.md": "docs\n",
}


def _desired() -> Desired:
    env = EnvironmentSettings(name="local", backend="emulator")
    here = SourceLocation(path="x")

    def agent(key: str, knowledge: list[str] = (), tools: list[str] = ()) -> DesiredAgent:
        refs = [KnowledgeRef(key=k) for k in knowledge]
        return DesiredAgent(key=key, name=key, knowledge=refs, tools=list(tools), source=here)

    refund = DesiredTest(agent_key="support", key="refund", kind="tool", body={}, tool_key="lookup-order", source=here)
    return Desired(
        settings=ProjectSettings(project="demo", default_environment="local", environments={"local": env}),
        environment=env,
        agents={
            "clinic": agent("clinic", knowledge=["clinic-faq", "prices"], tools=["book-appointment"]),
            "sales": agent("sales", knowledge=["prices"]),
            "support": agent("support"),
        },
        tests={refund.address: refund},
    )


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    _write(tmp_path, FILES)
    repo.index.add(list(FILES))
    repo.index.commit("initial")
    return repo


def _commit(repo: git.Repo, files: dict[str, str], message: str = "change") -> str:
    _write(Path(repo.working_tree_dir), files)
    repo.index.add(list(files))
    return repo.index.commit(message).hexsha


def test_an_unchanged_tree_selects_no_agent_and_says_so(repo):
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD", None, _desired())
    assert selection.agents == []
    assert selection.explain() == ["No agent is affected by the 0 files changed between HEAD and the working tree."]


def test_a_prompt_edit_in_the_working_tree_selects_only_that_agent(repo):
    _write(Path(repo.working_tree_dir), {"agents/clinic/prompt.md": "New prompt.\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD", None, _desired())
    assert selection.agents == ["clinic"]
    assert selection.explain() == ["clinic: agents/clinic/prompt.md changed"]


def test_a_shared_kb_document_selects_every_agent_that_references_it(repo):
    _commit(repo, {"knowledge/prices.url": "https://example.com/prices-2026\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD~1", "HEAD", _desired())
    assert selection.agents == ["clinic", "sales"]
    assert selection.reasons["sales"] == ("knowledge document prices changed (knowledge/prices.url)",)


def test_a_tool_change_selects_agents_using_it_and_agents_whose_tests_reference_it(repo):
    _commit(repo, {"tools/book-appointment.yaml": "type: client\n", "tools/lookup-order.yaml": "type: client\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD~1", "HEAD", _desired())
    assert selection.agents == ["clinic", "support"]
    assert selection.reasons["support"] == (
        "tool lookup-order changed (tools/lookup-order.yaml); test refund references it",
    )


def test_new_untracked_and_deleted_test_specs_select_their_agent(repo):
    root = Path(repo.working_tree_dir)
    _write(root, {"tests_specs/sales/greeting.yaml": "type: llm\n"})
    (root / "tests_specs/support/refund.yaml").unlink()
    selection = changed_agents(root, "HEAD", None, _desired())
    assert selection.agents == ["sales", "support"]
    assert selection.reasons["sales"] == ("test spec tests_specs/sales/greeting.yaml changed",)


def test_agentform_yaml_selects_every_agent(repo):
    _write(Path(repo.working_tree_dir), {"agentform.yaml": "project: demo\nparallelism: 2\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD", None, _desired())
    assert selection.agents == ["clinic", "sales", "support"]


def test_files_outside_the_project_layout_select_nothing_but_are_listed(repo):
    _commit(repo, {"README.md": "more docs\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "HEAD~1", "HEAD", _desired())
    assert selection.agents == []
    assert selection.changed_files == ("README.md",)


def test_changes_on_the_base_branch_after_the_fork_are_not_the_branchs_changes(repo):
    _commit(repo, {"agents/sales/prompt.md": "main moved on\n"})  # main advances
    repo.create_head("feature", "HEAD~1").checkout()
    _commit(repo, {"agents/clinic/prompt.md": "feature work\n"})
    selection = changed_agents(Path(repo.working_tree_dir), "main", "HEAD", _desired())
    assert selection.agents == ["clinic"]


def test_a_renamed_file_counts_on_both_sides(repo):
    root = Path(repo.working_tree_dir)
    (root / "tests_specs/sales").mkdir()
    repo.index.move(["tests_specs/clinic/address.yaml", "tests_specs/sales/address.yaml"])
    repo.index.commit("move the test")
    assert set(changed_paths(root, "HEAD~1", "HEAD")) == {
        "tests_specs/clinic/address.yaml",
        "tests_specs/sales/address.yaml",
    }
    assert changed_agents(root, "HEAD~1", "HEAD", _desired()).agents == ["clinic", "sales"]


def test_a_project_in_a_subfolder_sees_paths_relative_to_itself(tmp_path):
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    _write(tmp_path / "voice", FILES)
    _write(tmp_path, {"other/agents/clinic/prompt.md": "not ours\n"})
    repo.index.add([f"voice/{name}" for name in FILES] + ["other/agents/clinic/prompt.md"])
    repo.index.commit("initial")
    _write(tmp_path, {"voice/agents/clinic/prompt.md": "edited\n", "other/agents/sales/prompt.md": "x\n"})
    assert changed_paths(tmp_path / "voice", "HEAD") == ["agents/clinic/prompt.md"]


def test_non_ascii_file_names_are_mapped(repo):
    _write(Path(repo.working_tree_dir), {"tests_specs/clinic/adresă.yaml": "type: llm\n"})
    assert changed_agents(Path(repo.working_tree_dir), "HEAD", None, _desired()).agents == ["clinic"]


def test_an_unknown_ref_is_a_clear_error(repo):
    with pytest.raises(ChangeDetectionError, match="unknown git ref 'nope'"):
        changed_agents(Path(repo.working_tree_dir), "nope", None, _desired())


def test_a_folder_outside_git_is_a_clear_error(tmp_path):
    with pytest.raises(ChangeDetectionError, match="not inside a git repository"):
        changed_paths(tmp_path, "HEAD")


def test_select_agents_ignores_agents_that_no_longer_exist():
    selection = select_agents(["agents/gone/agent.yaml", "tests_specs/gone/t.yaml"], _desired())
    assert selection.agents == []


# ---- which agents a deploy smoke-tests from its plan (their own change, or what they reference) ------------------


def _change(kind: str, key: str, action: str = "update", blocked: str | None = None) -> ResourceChange:
    return ResourceChange(address=f"{kind}.{key}", kind=kind, key=key, action=action, blocked=blocked)


def test_a_document_change_reaches_every_agent_that_references_it():
    touched = touched_by_plan([_change("document", "prices", "create")], _desired())
    assert sorted(touched) == ["clinic", "sales"]
    assert touched["sales"] == ("the plan has create document.prices, which it references",)


def test_a_tool_change_reaches_its_agents_and_the_agents_whose_tests_reference_it():
    assert list(touched_by_plan([_change("tool", "book-appointment", "replace")], _desired())) == ["clinic"]
    assert list(touched_by_plan([_change("tool", "lookup-order", "replace")], _desired())) == ["support"]


def test_an_agent_or_test_change_reaches_its_own_agent():
    changes = [_change("agent", "sales"), _change("test", "support/refund", "create")]
    assert list(touched_by_plan(changes, _desired())) == ["sales", "support"]


def test_no_ops_deletes_and_blocked_changes_reach_nobody():
    changes = [
        _change("agent", "sales", "no-op"),
        _change("document", "prices", "delete"),
        _change("document", "clinic-faq", "update", blocked="prevent_destroy is set"),
    ]
    assert touched_by_plan(changes, _desired()) == {}
