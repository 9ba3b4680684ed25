"""The few words each tool call is shown as while the agent works, and the trail under its answer."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.agent.progress import PHRASES, TRAIL_LIMIT, VALUE_LIMIT, step, trail
from bot.agent.tools import tool_specs
from bot.text import OPEN
from tests.bot.agent.test_tools import CONTRACT
from tests.bot.commands.every_command import GRAMMAR

inputs = st.dictionaries(
    st.sampled_from(["service", "environment", "ref", "pr", "query", "type", "content"]),
    st.one_of(st.text(max_size=300), st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=5))),
)


def test_phrases_say_what_is_looked_at() -> None:
    assert step("deployments", {"service": "api"}).doing == "checking recent deploys of api"
    assert step("ci_status", {"pr": 42}).doing == "reading CI of #42"
    assert step("status", {"service": "api"}).doing == "checking the status of api"
    assert step("recall_memories", {"query": "cold starts"}).doing == "recalling what the team knows about cold starts"
    assert step("update_todos", {"todos": []}).doing == "updating the task list"
    assert step("deploy", {"service": "api", "environment": "staging"}).doing == "deploying api to staging"
    assert step("ci_status", {"pr": 42}).looked_at == "CI of #42"
    assert step("deploy", {"service": "api", "environment": "staging"}).looked_at is None  # "What I did" says it


def test_every_tool_has_a_phrase_of_its_own() -> None:
    assert {spec.name for spec in tool_specs(GRAMMAR)} | CONTRACT <= set(PHRASES)


def test_an_unknown_tool_gets_a_generic_phrase() -> None:
    assert step("launch_rockets", {"service": "api"}).doing == "using a tool"


@given(st.sampled_from(sorted(PHRASES)), inputs)
def test_a_phrase_is_short_one_line_and_carries_no_formatting(tool: str, given_input: dict[str, Any]) -> None:
    said = step(tool, given_input)
    for words in (said.doing, said.looked_at or ""):
        assert len(words) <= 3 * VALUE_LIMIT
        assert "\n" not in words
        assert OPEN not in words


def test_a_value_from_the_model_is_cut_and_cannot_format() -> None:
    said = step("status", {"service": f"{OPEN}person\ufdd1slack\ufdd1U1\ufdd2 " + "x" * 100})
    assert OPEN not in said.doing
    assert said.doing.endswith("…")


def test_the_trail_is_one_short_line_without_repeats() -> None:
    assert trail([]) is None
    assert trail(["recent deploys of api", "CI of #42", "recent deploys of api"]) == (
        "_Looked at: recent deploys of api · CI of #42_"
    )
    many = trail([f"the status of s{i}" for i in range(TRAIL_LIMIT + 3)])
    assert many is not None
    assert many.endswith("· 3 more_")
    assert "\n" not in many
