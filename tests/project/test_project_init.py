"""`agentform init` scaffolds a project that validates at once and never overwrites a user's files."""

from __future__ import annotations

import io

from agentform.commands import init
from agentform.project import load_desired, validate_project


def test_init_writes_a_project_that_validates_with_one_agent_document_and_test(tmp_path):
    target = tmp_path / "Clinic Voice"
    out = io.StringIO()

    assert init.run(target, out=out) == 0

    assert validate_project(target, environ={}, strict=True) == []
    desired = load_desired(target, environ={})
    assert desired.settings.project == "clinic-voice"
    assert desired.environment.backend == "emulator"
    assert len(desired.agents) == 1 and len(desired.documents) == 1 and len(desired.tests) == 1
    assert "created agents/assistant/prompt.md" in out.getvalue()
    assert (target / ".gitignore").read_text().startswith("# agentform")


def test_init_copies_the_github_workflows_when_the_package_ships_them(tmp_path):
    files = init.scaffold("demo")
    workflows = [path for path in files if path.startswith(".github/workflows/")]

    init.run(tmp_path / "p", out=io.StringIO())

    for path in workflows:
        assert (tmp_path / "p" / path).read_text() == files[path]
    assert all(path.endswith((".yml", ".yaml")) for path in workflows)


def test_init_uses_the_given_name(tmp_path):
    assert init.run(tmp_path / "x", name="front-desk", out=io.StringIO()) == 0
    assert load_desired(tmp_path / "x", environ={}).settings.project == "front-desk"


def test_init_refuses_a_name_that_is_not_a_slug(tmp_path):
    out = io.StringIO()
    assert init.run(tmp_path / "x", name="Front Desk", out=out) == 1
    assert "must be a lowercase slug" in out.getvalue()
    assert not (tmp_path / "x").exists()


def test_init_refuses_a_folder_with_content_unless_forced_and_then_keeps_existing_files(tmp_path):
    (tmp_path / "README.md").write_text("mine\n")
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge/faq.md").write_text("My own FAQ: we open at 8.\n")
    out = io.StringIO()

    assert init.run(tmp_path, out=out) == 1
    assert "not empty" in out.getvalue()
    assert not (tmp_path / "agentform.yaml").exists()

    assert init.run(tmp_path, force=True, out=out) == 0
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert (tmp_path / "knowledge/faq.md").read_text() == "My own FAQ: we open at 8.\n"
    assert "kept    knowledge/faq.md (already exists)" in out.getvalue()
    assert (tmp_path / "agentform.yaml").exists()


def test_an_empty_git_repository_counts_as_empty(tmp_path):
    (tmp_path / ".git").mkdir()
    assert init.run(tmp_path, out=io.StringIO()) == 0


def test_init_outside_a_repository_runs_git_init_when_asked(tmp_path):
    import git

    out = io.StringIO()
    assert init.run(tmp_path / "p", git=True, out=out) == 0
    assert git.Repo(tmp_path / "p").working_tree_dir == str(tmp_path / "p")
    assert "git init" in out.getvalue()


def test_init_without_a_terminal_only_says_to_run_git_init(tmp_path):
    out = io.StringIO()
    assert init.run(tmp_path / "p", out=out, is_terminal=False) == 0
    assert not (tmp_path / "p" / ".git").exists()
    assert "run `git init`" in out.getvalue()


def test_init_inside_a_repository_does_not_offer_git_init(tmp_path):
    import git

    git.Repo.init(tmp_path)
    out = io.StringIO()
    assert init.run(tmp_path / "p", git=True, out=out) == 0
    assert not (tmp_path / "p" / ".git").exists()
    assert "git init" not in out.getvalue()


def test_init_prints_the_next_steps_and_the_secrets_to_set(tmp_path):
    out = io.StringIO()
    assert init.run(tmp_path / "p", out=out, is_terminal=False) == 0
    text = out.getvalue()
    assert text.index("agentform validate") < text.index("agentform plan") < text.index("agentform apply")
    assert "ELEVENLABS_API_KEY  the ElevenLabs API key of environment production" in text
    assert "AGENTFORM_ENV" in text and "`agentform/pr (production)`" in text


def test_the_secrets_to_set_are_the_api_keys_of_api_environments_and_the_secret_variables(tmp_path):
    from tests.project.projectkit import write_project

    root = write_project(tmp_path)
    settings = load_desired(root, environ={}).settings
    assert [name for name, _ in init.secrets_to_set(settings)] == ["DEMO_API_KEY", "TOKEN"]
