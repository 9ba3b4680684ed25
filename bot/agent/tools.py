"""The agent's tools: the command table's agent-callable entries, and the agent's own.

A command tool turns its input into the words of a chat command and parses
them with the entry's own parser: the same name and ref checks, the same
command value, run by the same :class:`bot.commands.table.CommandTable` on
behalf of the person who asked. Nothing the model sends can reach further
than that person could by typing the command.

The list is built once, in a fixed order, because it is part of the cached
prompt prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.agent.language import ToolSpec
from bot.commands.entry import ENVIRONMENT_INPUT, REF_INPUT, SERVICE_INPUT, Entry, ToolKind
from bot.commands.names import NAME_PATTERN
from bot.commands.table import Grammar
from bot.commands.types import MEMORY_TYPES
from bot.investigation.looks import Look, LookSpec
from bot.todos.lists import STATUSES


def command_spec(entry: Entry[Any, Any]) -> ToolSpec:
    """The tool of an agent-callable entry, described by the entry's own summary and usage."""
    tool = entry.tool
    if tool is None:
        raise ValueError(f"`{entry.usage}` is not for the agent")
    acting = " It acts as the person who asked, with their permissions." if tool.kind == "action" else ""
    description = f"{entry.summary[0].upper()}{entry.summary[1:]}. The chat command `{entry.usage}`.{acting}"
    return ToolSpec(tool.name, f"{description} {tool.note}".strip(), _schema(tool.properties, tool.required))


@dataclass(frozen=True)
class OwnTool:
    """A tool with no chat command behind it (or a richer form of one)."""

    name: str
    kind: ToolKind
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ()

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, _schema(self.properties, self.required))


def _schema(properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def _todo_schema(*, nested: bool) -> dict[str, Any]:
    """One todo of ``update_todos``; a top-level one may carry its sub-tasks, which may not carry their own."""
    properties: dict[str, Any] = {
        "content": {"type": "string", "minLength": 1, "maxLength": 300},
        "status": {"enum": list(STATUSES)},
        "blocked_reason": {"type": "string", "maxLength": 300},
    }
    if nested:
        properties["children"] = {"type": "array", "maxItems": 49, "items": _todo_schema(nested=False)}
    return {
        "type": "object",
        "properties": properties,
        "required": ["content", "status"],
        "additionalProperties": False,
    }


OWN_TOOLS: tuple[OwnTool, ...] = (
    OwnTool(
        "deployments",
        "read",
        "Recent deployments of a service, newest first: environment, ref, commit, state, who asked.",
        {
            "service": SERVICE_INPUT,
            "environment": ENVIRONMENT_INPUT,
            "limit": {"type": "integer", "minimum": 1, "maximum": 20},
        },
        ("service",),
    ),
    OwnTool(
        "ci_status",
        "read",
        "CI and check results of a commit. Without arguments on a pull/merge request: its head commit. "
        "Otherwise name the service, and a ref (default: the default branch).",
        {"service": SERVICE_INPUT, "ref": REF_INPUT},
    ),
    OwnTool(
        "recall_memories",
        "read",
        "Search what the team taught you, beyond the memories you were given at the start.",
        {"query": {"type": "string", "minLength": 3, "maxLength": 300}, "type": {"enum": list(MEMORY_TYPES)}},
        ("query",),
    ),
    OwnTool(
        "remember",
        "record",
        "Keep a short, general lesson (5 to 100 characters) for every future task. Only lessons that will "
        "matter again: most tasks teach nothing new. No dates, versions, commits, ticket ids or code. "
        "scope: 'team', 'service:<name>', 'repo' (on a forge) or 'channel' (in Slack); absent, the "
        "narrowest that fits where you were asked.",
        {
            "type": {"enum": list(MEMORY_TYPES)},
            "content": {"type": "string", "minLength": 5, "maxLength": 100},
            "scope": {"type": "string", "pattern": f"^(team|repo|channel|service:{NAME_PATTERN[1:-1]})$"},
        },
        ("type", "content"),
    ),
    OwnTool(
        "update_todos",
        "record",
        "Replace your task list for this thread; people see it. Send every item each time. Each content starts "
        "with '[Ops] ', never another agent's prefix. A blocked item needs blocked_reason: what blocks it and what "
        "that holds up. A larger task may list its steps as children (one level, 50 items in all).",
        {"todos": {"type": "array", "maxItems": 50, "items": _todo_schema(nested=True)}},
        ("todos",),
    ),
)

_ORDER: dict[ToolKind, int] = {"read": 0, "record": 1, "action": 2}


def look_spec(spec: LookSpec) -> ToolSpec:
    """A look of the systems (bot.investigation): read-only, with its own schema."""
    return ToolSpec(spec.name, spec.description, _schema(dict(spec.properties), spec.required))


def kinds(grammar: Grammar, looks: Sequence[Look] = ()) -> dict[str, ToolKind]:
    """Each tool's name and whether it reads, records or acts."""
    found = {entry.tool.name: entry.tool.kind for entry in grammar.agent_callable() if entry.tool is not None}
    for tool in (*OWN_TOOLS, *(OwnTool(look.spec.name, "read", "", {}) for look in looks)):
        if tool.name in found:
            raise ValueError(f"the agent's own tool {tool.name!r} has the name of a command's")
        found[tool.name] = tool.kind
    return found


def tool_specs(grammar: Grammar, looks: Sequence[Look] = ()) -> tuple[ToolSpec, ...]:
    """Every tool, read-only ones first, in an order that never changes for a given configuration.

    ``looks`` are the configured ones only, in bot.investigation's fixed order: a tool whose
    backend isn't configured is not offered at all."""
    kind_of = kinds(grammar, looks)
    specs = [
        *(command_spec(entry) for entry in grammar.agent_callable()),
        *(tool.spec() for tool in OWN_TOOLS),
        *(look_spec(look.spec) for look in looks),
    ]
    return tuple(sorted(specs, key=lambda spec: _ORDER[kind_of[spec.name]]))
