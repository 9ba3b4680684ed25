"""The agent's tools: derived from the registry, fixed in order, valid JSON Schema."""

from __future__ import annotations

import jsonschema

from bot.agent.tools import COMMAND_TOOLS, KINDS, tool_specs
from bot.commands.registry import REGISTRY, Entry


def test_contract_tools_are_there_with_their_inputs() -> None:
    specs = {spec.name: spec for spec in tool_specs()}
    jsonschema.validate(
        {"todos": [{"content": "[Ops] Deploy", "status": "blocked", "blocked_reason": "no quota"}]},
        specs["update_todos"].input_schema,
    )
    jsonschema.validate({"type": "pattern", "content": "Blue-green for api"}, specs["remember"].input_schema)
    assert {"status", "locks", "deployments", "ci_status", "recall_memories", "deploy", "rollback", "lock"} <= set(
        specs
    )


def test_schemas_are_valid_and_refuse_what_the_registry_would() -> None:
    for spec in tool_specs():
        jsonschema.Draft202012Validator.check_schema(spec.input_schema)
    deploy = next(spec for spec in tool_specs() if spec.name == "deploy")
    validator = jsonschema.Draft202012Validator(deploy.input_schema)
    assert not validator.is_valid({"service": "api;rm -rf /", "environment": "staging"})
    assert not validator.is_valid({"service": "api"})  # environment is required


def test_command_tools_describe_their_registry_entry() -> None:
    by_words: dict[tuple[str, ...], Entry] = {entry.words: entry for entry in REGISTRY}
    specs = {spec.name: spec for spec in tool_specs()}
    for tool in COMMAND_TOOLS:
        assert by_words[tool.words].usage in specs[tool.name].description


def test_the_order_is_fixed_and_read_only_tools_come_first() -> None:
    names = [spec.name for spec in tool_specs()]
    kinds = [KINDS[name] for name in names]
    assert kinds == sorted(kinds, key=["read", "record", "action"].index)
