"""The agent's tools, derived from the command registry.

A command tool turns its input into the words of a chat command and parses
them with the registry's own parser: the same name and ref checks, the same
command value, run by the same :class:`bot.commands.runner.CommandRunner` on
behalf of the person who asked. Nothing the model sends can reach further
than that person could by typing the command.

The list is built once, in a fixed order, because it is part of the cached
prompt prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.agent.language import ToolSpec
from bot.commands.registry import REGISTRY, Entry
from bot.commands.types import MEMORY_TYPES
from bot.todos.lists import STATUSES

Kind = Literal["read", "record", "action"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"

_SERVICE = {"type": "string", "pattern": NAME_PATTERN, "description": "a service name from ops.yaml"}
_ENVIRONMENT = {"type": "string", "pattern": NAME_PATTERN, "description": "an environment name, e.g. staging"}
_REF = {"type": "string", "pattern": REF_PATTERN, "description": "a branch, tag or commit"}


def _entry(*words: str) -> Entry:
    return next(entry for entry in REGISTRY if entry.words == words)


@dataclass(frozen=True)
class CommandTool:
    """A tool that runs a registry command as the asker."""

    name: str
    words: tuple[str, ...]
    kind: Kind
    properties: dict[str, Any]
    required: tuple[str, ...]
    args: Callable[[dict[str, Any]], list[str]]  # tool input -> the command's words after its name
    note: str = ""

    @property
    def entry(self) -> Entry:
        return _entry(*self.words)

    def spec(self) -> ToolSpec:
        entry = self.entry
        acting = " It acts as the person who asked, with their permissions." if self.kind == "action" else ""
        description = f"{entry.summary[0].upper()}{entry.summary[1:]}. The chat command `{entry.usage}`.{acting}"
        return ToolSpec(self.name, f"{description} {self.note}".strip(), _schema(self.properties, self.required))


@dataclass(frozen=True)
class OwnTool:
    """A tool with no chat command behind it (or a richer form of one)."""

    name: str
    kind: Kind
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ()

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, _schema(self.properties, self.required))


def _schema(properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def _optional(value: Any) -> list[str]:
    return [str(value)] if value else []


def _deploy_args(given: dict[str, Any]) -> list[str]:
    service = given.get("service")
    if not service:
        return ["to", str(given.get("environment", ""))]
    ref = given.get("ref")
    return [f"{service}@{ref}" if ref else str(service), "to", str(given.get("environment", ""))]


def _lock_args(given: dict[str, Any]) -> list[str]:
    reason = str(given.get("reason") or "").split()
    return [
        str(given.get("environment", "")),
        *_optional(given.get("service")),
        *(["--reason", *reason] if reason else []),
    ]


COMMAND_TOOLS: tuple[CommandTool, ...] = (
    CommandTool(
        "status", ("status",), "read", {"service": _SERVICE}, (), lambda g: _optional(g.get("service")),
        "Without a service: every service.",
    ),
    CommandTool("locks", ("locks",), "read", {}, (), lambda g: []),
    CommandTool(
        "deploy", ("deploy",), "action", {"service": _SERVICE, "environment": _ENVIRONMENT, "ref": _REF},
        ("environment",), _deploy_args,
        "Leave out service and ref on a pull/merge request to deploy its head. Protected environments "
        "(production) are not deployed at once: a request for approval by another person is posted.",
    ),
    CommandTool(
        "rollback", ("rollback",), "action", {"service": _SERVICE, "environment": _ENVIRONMENT},
        ("service", "environment"), lambda g: [str(g.get("service", "")), str(g.get("environment", ""))],
    ),
    CommandTool(
        "lock", ("lock",), "action",
        {"environment": _ENVIRONMENT, "service": _SERVICE, "reason": {"type": "string", "maxLength": 200}},
        ("environment",), _lock_args,
    ),
    CommandTool(
        "unlock", ("unlock",), "action", {"environment": _ENVIRONMENT, "service": _SERVICE}, ("environment",),
        lambda g: [str(g.get("environment", "")), *_optional(g.get("service"))],
    ),
)  # fmt: skip

OWN_TOOLS: tuple[OwnTool, ...] = (
    OwnTool(
        "deployments",
        "read",
        "Recent deployments of a service, newest first: environment, ref, commit, state, who asked.",
        {"service": _SERVICE, "environment": _ENVIRONMENT, "limit": {"type": "integer", "minimum": 1, "maximum": 20}},
        ("service",),
    ),
    OwnTool(
        "ci_status",
        "read",
        "CI and check results of a commit. Without arguments on a pull/merge request: its head commit. "
        "Otherwise name the service, and a ref (default: the default branch).",
        {"service": _SERVICE, "ref": _REF},
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
        "Keep a short lesson for every future task here (5 to 100 characters is best). Only lessons that "
        "will matter again: most tasks teach nothing new.",
        {"type": {"enum": list(MEMORY_TYPES)}, "content": {"type": "string", "minLength": 3, "maxLength": 500}},
        ("type", "content"),
    ),
    OwnTool(
        "update_todos",
        "record",
        "Replace your task list for this thread; people see it. Send every item each time. Each content starts "
        "with '[Ops] '. A blocked item needs blocked_reason: what blocks it and what that holds up.",
        {
            "todos": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "content": {"type": "string", "minLength": 1, "maxLength": 300},
                        "status": {"enum": list(STATUSES)},
                        "blocked_reason": {"type": "string", "maxLength": 300},
                    },
                    "required": ["content", "status"],
                    "additionalProperties": False,
                },
            }
        },
        ("todos",),
    ),
)

ALL_TOOLS: tuple[CommandTool | OwnTool, ...] = (*COMMAND_TOOLS, *OWN_TOOLS)
KINDS: dict[str, Kind] = {tool.name: tool.kind for tool in ALL_TOOLS}


def tool_specs() -> tuple[ToolSpec, ...]:
    """Every tool, read-only ones first, in an order that never changes."""
    order: dict[Kind, int] = {"read": 0, "record": 1, "action": 2}
    tools: list[CommandTool | OwnTool] = sorted(ALL_TOOLS, key=lambda tool: order[tool.kind])
    return tuple(tool.spec() for tool in tools)
