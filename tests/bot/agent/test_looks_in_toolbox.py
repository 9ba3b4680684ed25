"""The agent's looks at the systems, as the toolbox runs them: offered only when configured, in one
order, bounded in time and size, and failing as tool errors the model can report."""

# ruff: noqa: F811  (`ops` is the toolbox tests' fixture, imported to be used here)
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from bot.agent.language import ToolCall
from bot.agent.toolbox import Toolbox
from bot.agent.tools import tool_specs
from bot.agent.untrusted import Fence
from bot.errors import CommandError, UpstreamUnavailable
from bot.investigation.looks import LOOK_ORDER, RESULT_LIMIT, Look, LookSpec, bounded, ordered
from bot.model import ChatMessage
from tests.bot.agent.test_toolbox import ALICE, NONCE, Ops, asked, inside, ops  # noqa: F401
from tests.bot.commands.every_command import GRAMMAR


class FakeLook:
    """A look whose answer (or failure) the test sets, recording what it was asked."""

    def __init__(self, name: str, answer: str = "fine", *, fails: Exception | None = None, hangs: bool = False):
        self._spec = LookSpec(name, "the backend", f"Looks at {name}.", {"query": {"type": "string"}})
        self.answer, self.fails, self.hangs = answer, fails, hangs
        self.asked: list[tuple[ChatMessage, Mapping[str, Any]]] = []

    @property
    def spec(self) -> LookSpec:
        return self._spec

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        self.asked.append((asked, given))
        if self.hangs:
            await asyncio.Event().wait()
        if self.fails is not None:
            raise self.fails
        return self.answer


def with_looks(ops: Ops, *looks: Look) -> Toolbox:
    services = replace(ops.services, looks=ordered(list(looks)))
    return Toolbox(asked(ALICE), services, Fence(NONCE))


def test_only_configured_looks_are_offered_in_the_contracts_order() -> None:
    names = {spec.name for spec in tool_specs(GRAMMAR)}
    assert names.isdisjoint(LOOK_ORDER)  # none configured: none offered
    looks = ordered([FakeLook("cluster_status"), FakeLook("query_metrics")])
    offered = [spec.name for spec in tool_specs(GRAMMAR, looks) if spec.name in LOOK_ORDER]
    assert offered == ["query_metrics", "cluster_status"]
    # The same configuration gives the same bytes: the cached prefix stays stable.
    assert tool_specs(GRAMMAR, looks) == tool_specs(
        GRAMMAR, ordered([FakeLook("query_metrics"), FakeLook("cluster_status")])
    )


def test_looks_are_read_tools_offered_before_any_action() -> None:
    specs = [spec.name for spec in tool_specs(GRAMMAR, ordered([FakeLook("list_alerts")]))]
    assert specs.index("list_alerts") < specs.index("deploy")
    schema = next(s for s in tool_specs(GRAMMAR, ordered([FakeLook("list_alerts")])) if s.name == "list_alerts")
    assert schema.input_schema["additionalProperties"] is False


def test_a_look_of_an_unknown_or_repeated_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="distinct and among"):
        ordered([FakeLook("read_the_mailbox")])
    with pytest.raises(ValueError, match="distinct and among"):
        ordered([FakeLook("ci_logs"), FakeLook("ci_logs")])


async def test_a_look_runs_for_the_person_who_asked_and_its_result_is_fenced(ops: Ops) -> None:
    look = FakeLook("query_metrics", "p99 went from 120 ms to 900 ms at 14:05")
    result = await with_looks(ops, look).run(ToolCall("c1", "query_metrics", {"query": "up"}))
    assert not result.is_error
    assert inside(result) == "p99 went from 120 ms to 900 ms at 14:05"
    assert [(m.author, dict(g)) for m, g in look.asked] == [(ALICE, {"query": "up"})]


async def test_a_look_that_refuses_or_whose_backend_fails_is_a_tool_error_in_plain_words(ops: Ops) -> None:
    refusing = FakeLook("cluster_status", fails=CommandError("there is no service called `nope`"))
    down = FakeLook("list_alerts", fails=UpstreamUnavailable("Alertmanager", "connection refused"))
    toolbox = with_looks(ops, refusing, down)
    refused = await toolbox.run(ToolCall("c1", "cluster_status", {}))
    failed = await toolbox.run(ToolCall("c2", "list_alerts", {}))
    assert refused.is_error
    assert inside(refused) == "Refused: there is no service called `nope`"
    assert failed.is_error
    assert inside(failed) == "Alertmanager did not answer this time: connection refused"


async def test_a_look_that_hangs_is_cut_off_and_said_so(ops: Ops, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.agent.toolbox.LOOK_TIMEOUT", 0.05)
    result = await with_looks(ops, FakeLook("ci_logs", hangs=True)).run(ToolCall("c1", "ci_logs", {}))
    assert result.is_error
    assert inside(result) == "the backend did not answer this time: no answer within 0 seconds"


async def test_a_look_result_is_held_to_the_looks_limit_and_its_secrets_redacted(ops: Ops) -> None:
    noisy = "\n".join(f"line {n} token=ghp_{'a' * 36}" for n in range(2_000))
    result = await with_looks(ops, FakeLook("ci_logs", noisy)).run(ToolCall("c1", "ci_logs", {}))
    body = inside(result)
    assert "ghp_" + "a" * 36 not in body
    assert len(body) <= RESULT_LIMIT + 100  # the fence's note of what was cut


def test_bounded_cuts_at_a_line_and_says_so() -> None:
    text = "\n".join(f"series {n}: last 1.0" for n in range(1_000))
    cut = bounded(text)
    assert len(cut) <= RESULT_LIMIT
    assert cut.endswith("(cut to stay within the tool's size limit)")
    assert all(line.startswith("series ") for line in cut.splitlines()[:-1])
    assert bounded("short") == "short"
