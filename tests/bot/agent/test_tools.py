"""The agent's tools: generated from the command table, fixed in order, valid JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass

import jsonschema
import pytest

from bot.agent.tools import OWN_TOOLS, kinds, tool_specs
from bot.commands.entry import AgentTool, Entry
from bot.commands.grammar import no_args
from bot.commands.table import Grammar
from bot.deploys.lock_commands import LOCK_COMMANDS, LockCommands
from bot.model import ChatMessage
from tests.bot.commands.every_command import GRAMMAR

# ../shared/CONTRACT.md, "Agent tools (names fixed)": the ones whose backends opsbot has...
OFFERED = {
    "status", "locks", "deployments", "ci_status", "recall_memories", "remember", "update_todos",
    "deploy", "rollback", "lock", "unlock",
}  # fmt: skip
# ...and the rest of the names the contract fixes, offered once their backends are configured.
CONTRACT = OFFERED | {"query_metrics", "list_alerts", "ci_logs", "what_changed", "cluster_status"}


def test_contract_tools_are_there_with_their_inputs() -> None:
    specs = {spec.name: spec for spec in tool_specs(GRAMMAR)}
    jsonschema.validate(
        {"todos": [{"content": "[Ops] Deploy", "status": "blocked", "blocked_reason": "no quota"}]},
        specs["update_todos"].input_schema,
    )
    jsonschema.validate({"type": "pattern", "content": "Blue-green for api"}, specs["remember"].input_schema)
    assert {"status", "locks", "deployments", "ci_status", "recall_memories", "deploy", "rollback", "lock"} <= set(
        specs
    )


def test_every_tool_name_is_the_contracts() -> None:
    names = [spec.name for spec in tool_specs(GRAMMAR)]
    assert len(names) == len(set(names))
    assert OFFERED <= set(names) <= CONTRACT


def test_the_command_tools_are_the_agent_callable_entries() -> None:
    callable_names = [entry.tool.name for entry in GRAMMAR.agent_callable() if entry.tool is not None]
    own = [tool.name for tool in OWN_TOOLS]
    assert sorted(spec.name for spec in tool_specs(GRAMMAR)) == sorted(callable_names + own)
    assert set(callable_names) == {"status", "locks", "deploy", "rollback", "lock", "unlock"}
    assert "approve" not in callable_names  # a second person approves, never the agent


@dataclass(frozen=True)
class Clash:
    pass


async def clash(service: LockCommands, command: Clash, message: ChatMessage) -> str:
    return "never run"


def test_an_own_tool_may_not_take_a_commands_name() -> None:
    named_like_own = Entry(
        Clash, ("clash",), "clash", "a command named like an own tool", no_args(Clash()), clash,
        AgentTool("remember", "record", {}, (), lambda g: []),
    )  # fmt: skip
    with pytest.raises(ValueError, match="remember"):
        kinds(Grammar((*LOCK_COMMANDS, named_like_own)))


def test_schemas_are_valid_and_refuse_what_the_grammar_would() -> None:
    for spec in tool_specs(GRAMMAR):
        jsonschema.Draft202012Validator.check_schema(spec.input_schema)
    deploy = next(spec for spec in tool_specs(GRAMMAR) if spec.name == "deploy")
    validator = jsonschema.Draft202012Validator(deploy.input_schema)
    assert not validator.is_valid({"service": "api;rm -rf /", "environment": "staging"})
    assert not validator.is_valid({"service": "api"})  # environment is required


def test_command_tools_describe_their_entry() -> None:
    specs = {spec.name: spec for spec in tool_specs(GRAMMAR)}
    for entry in GRAMMAR.agent_callable():
        assert entry.tool is not None
        assert entry.usage in specs[entry.tool.name].description
        assert entry.summary[1:] in specs[entry.tool.name].description


def test_the_order_is_fixed_and_read_only_tools_come_first() -> None:
    kind_of = kinds(GRAMMAR)
    names = [spec.name for spec in tool_specs(GRAMMAR)]
    assert names == [spec.name for spec in tool_specs(GRAMMAR)]
    assert [kind_of[name] for name in names] == sorted(
        (kind_of[name] for name in names), key=["read", "record", "action"].index
    )
