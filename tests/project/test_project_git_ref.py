"""Loading from a git ref reads blobs from the commit: the working tree is neither read nor touched."""

from __future__ import annotations

import os

import git
import pytest
from tests.project.projectkit import snapshot, write_project

from agentform.project import ProjectError, load_desired, validate_project


def _commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


@pytest.fixture
def repo(tmp_path):
    root = write_project(tmp_path)
    repository = git.Repo.init(root)
    with repository.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    return repository


def test_a_ref_is_loaded_from_its_commit_not_from_the_working_tree(repo, tmp_path):
    first = _commit_all(repo, "v1")
    (tmp_path / "agents/helper/prompt.md").write_text("You help people, version two.\n")
    second = _commit_all(repo, "v2")
    (tmp_path / "agents/helper/prompt.md").write_text("Uncommitted edit.\n")
    before = snapshot(tmp_path)

    at_first = load_desired(tmp_path, ref=first, environ={})
    at_head = load_desired(tmp_path, ref="HEAD", environ={})
    working = load_desired(tmp_path, environ={})

    def prompt(desired):
        return desired.agents["helper"].conversation_config["agent"]["prompt"]["prompt"]

    assert prompt(at_first) == "You help people with opening hours.\n"
    assert prompt(at_head) == "You help people, version two.\n"
    assert prompt(working) == "Uncommitted edit.\n"
    assert at_first.settings.source_revision == first
    assert at_head.settings.source_revision == working.settings.source_revision == second
    assert snapshot(tmp_path) == before
    assert repo.head.commit.hexsha == second


def test_errors_at_a_ref_point_at_the_committed_file(repo, tmp_path):
    (tmp_path / "agents/helper/agent.yaml").write_text("name: Helper\nknowledge: [nope]\n")
    broken = _commit_all(repo, "broken")
    write_project(tmp_path)  # the working tree is fine again

    diagnostics = [str(d) for d in validate_project(tmp_path, ref=broken, environ={})]

    assert diagnostics == [
        "agents/helper/agent.yaml:2:13: error: knowledge[0]: unknown document 'nope' (expected knowledge/nope.md)"
    ]
    assert validate_project(tmp_path, environ={}) == []


def test_an_unknown_ref_is_reported_not_raised(repo):
    _commit_all(repo, "v1")
    with pytest.raises(ProjectError) as raised:
        load_desired(repo.working_tree_dir, ref="no-such-branch", environ={})
    assert [str(d) for d in raised.value.diagnostics] == ["agentform.yaml:1:1: error: unknown git ref 'no-such-branch'"]


def test_a_committed_symlink_out_of_the_repository_is_refused(repo, tmp_path):
    os.remove(tmp_path / "knowledge/faq.md")
    os.symlink("/etc/hostname", tmp_path / "knowledge/faq.md")
    commit = _commit_all(repo, "symlink out")

    messages = [str(d) for d in validate_project(tmp_path, ref=commit, environ={})]

    assert "knowledge/faq.md:1:1: error: symlink to '/etc/hostname' points outside the repository" in messages


def test_a_project_in_a_subfolder_of_the_repository_loads_from_a_ref(tmp_path):
    repository = git.Repo.init(tmp_path)
    write_project(tmp_path / "voice")
    repository.git.add(A=True)
    repository.index.commit("project in a subfolder")

    desired = load_desired(tmp_path / "voice", ref="HEAD", environ={})

    assert set(desired.agents) == {"helper"}
    assert desired.settings.source_revision == repository.head.commit.hexsha


def test_a_working_tree_outside_git_has_no_revision(tmp_path):
    desired = load_desired(write_project(tmp_path / "plain"), environ={})
    assert desired.settings.source_revision is None
