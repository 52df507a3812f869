"""Properties of whole plans: whatever the files say, applying a plan and planning again changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.plan.builders import agent, applied, desired, document, live_state, llm_test, tool
from tests.support.hypothesis_profiles import examples

from agentform.plan.planner import make_plan
from agentform.plan.render_json import render_json
from agentform.plan.saved import parse_plan

keys = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(0, 2, allow_nan=False) | st.text(max_size=12)
settings_tree = st.dictionaries(keys, leaf | st.dictionaries(keys, leaf, max_size=3), max_size=4)
prompts = st.lists(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30), max_size=6).map("\n".join)


@st.composite
def repositories(draw):
    agent_keys = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    document_keys = draw(st.lists(keys, max_size=2, unique=True))
    tool_keys = draw(st.lists(keys, max_size=2, unique=True))
    agents = []
    for key in agent_keys:
        config = {"agent": {"prompt": {"prompt": draw(prompts)}}, "tts": draw(settings_tree)}
        agents.append(
            agent(
                key,
                conversation_config=config,
                platform_settings=draw(settings_tree),
                knowledge=[{"key": k} for k in draw(st.lists(st.sampled_from(document_keys), unique=True))]
                if document_keys
                else [],
                tools=draw(st.lists(st.sampled_from(tool_keys), unique=True)) if tool_keys else [],
                tags=draw(st.lists(keys, max_size=2)),
            )
        )
    documents = [document(key, text=draw(prompts)) for key in document_keys]
    tools = [tool(key, description=draw(st.text(max_size=20))) for key in tool_keys]
    tests = [llm_test(key, "smoke") for key in agent_keys if draw(st.booleans())]
    return desired(agents=agents, documents=documents, tools=tools, tests=tests)


@settings(max_examples=examples(25), deadline=None)
@given(repositories(), st.booleans())
def test_after_applying_a_plan_the_next_plan_is_a_no_op(files, read_agents):
    live = applied(make_plan(files, live_state(), prune=True), read_agents=read_agents)
    again = make_plan(files, live, prune=True)
    assert not again.has_changes, [c.address for c in again.changes if c.is_change]


@settings(max_examples=examples(20), deadline=None)
@given(repositories(), repositories(), st.booleans())
def test_going_from_any_repository_to_any_other_converges_in_one_apply(first, second, read_agents):
    live = applied(make_plan(first, live_state(), prune=True), read_agents=read_agents)
    live = applied(make_plan(second, live, prune=True), live, read_agents=read_agents)
    again = make_plan(second, live, prune=True)
    assert not again.has_changes, [c.address for c in again.changes if c.is_change]


@settings(max_examples=examples(20), deadline=None)
@given(repositories())
def test_every_plan_survives_a_json_round_trip(files):
    plan = make_plan(files, live_state(), prune=False)
    assert parse_plan(render_json(plan)) == plan


@settings(max_examples=examples(40), deadline=None)
@given(settings_tree, settings_tree, settings_tree, settings_tree, st.booleans())
def test_any_edit_of_one_agent_converges_including_removed_keys(tts_one, tts_two, ps_one, ps_two, read_agents):
    def files(tts, platform_settings):
        config = {"agent": {"prompt": {"prompt": "p"}}, "tts": tts}
        return desired(agents=[agent("a", conversation_config=config, platform_settings=platform_settings)])

    live = applied(make_plan(files(tts_one, ps_one), live_state(), prune=True), read_agents=read_agents)
    target = files(tts_two, ps_two)
    live = applied(make_plan(target, live, prune=True), live, read_agents=read_agents)
    again = make_plan(target, live, prune=True)
    assert not again.has_changes, [f.path for c in again.changes for f in c.fields]


def _outline(plan):
    return sorted((c.address, c.action, [f.path for f in c.fields], c.drift, c.conflict) for c in plan.changes)


@settings(max_examples=examples(25), deadline=None)
@given(repositories(), repositories(), st.booleans())
def test_trusting_unchanged_list_timestamps_plans_exactly_what_reading_every_agent_plans(first, other, unchanged):
    # Unchanged files take the planner's no-op shortcut for every agent; other files take the 3-way comparison.
    second = first if unchanged else other
    first_plan = make_plan(first, live_state(), prune=True)
    trusted = make_plan(second, applied(first_plan, read_agents=False), prune=True)
    read = make_plan(second, applied(first_plan, read_agents=True), prune=True)
    assert _outline(trusted) == _outline(read)
