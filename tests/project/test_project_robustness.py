"""Whatever the files hold, loading reports diagnostics; it never crashes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.project.projectkit import write_project
from tests.support.hypothesis_profiles import examples

from agentform.project import validate_project

KEYS = [
    "name", "prompt_file", "knowledge", "tools", "tags", "conversation_config", "platform_settings", "workflow",
    "environments", "id", "prevent_destroy", "kind", "chat_history", "tool", "tool_config", "repeat", "agent",
    "prompt", "success_examples", "tool_mock_config", "mocked_tool_ids", "local", "production", "key",
]  # fmt: skip
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=documents, tool=documents, test=documents, simulation=documents, meta=documents)
def test_arbitrary_file_contents_give_diagnostics_not_exceptions(agent, tool, test, simulation, meta):
    with tempfile.TemporaryDirectory() as folder:
        # JSON is YAML: the generated data is written as flow-style YAML.
        root = write_project(
            Path(folder),
            {
                "agents/helper/agent.yaml": json.dumps(agent),
                "tools/lookup.yaml": json.dumps(tool),
                "tests_specs/helper/hours.yaml": json.dumps(test),
                "tests_specs/helper/sim.yaml": json.dumps({"kind": "simulation", **simulation}),
                "knowledge/faq.yaml": json.dumps(meta),
            },
        )
        diagnostics = validate_project(root, environ={})
    for diagnostic in diagnostics:
        assert diagnostic.path.startswith(("agents/helper/", "tools/", "tests_specs/helper/", "knowledge/faq."))
        assert diagnostic.line >= 1 and diagnostic.column >= 1
