"""One command as one entry: its words, parser, usage, summary, handler, help and agent exposure.

A feature declares its entries beside the service that carries them out,
with the handler as that service's method; the composition root hands each
feature's service and entries to :class:`bot.commands.table.CommandTable`.
What ``help`` shows comes from the entries too: the example, the further
forms, who may run it, and whether this person may run it where they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from bot.commands.names import NAME_PATTERN, REF_PATTERN
from bot.model import Answer, ChatMessage

S = TypeVar("S")  # the feature's service that carries the command out
C = TypeVar("C")  # the command value the parser returns

ToolKind = Literal["read", "record", "action"]

# The agent's inputs are checked by the same alphabet as the chat grammar.
SERVICE_INPUT = {"type": "string", "pattern": NAME_PATTERN, "description": "a service name from ops.yaml"}
ENVIRONMENT_INPUT = {"type": "string", "pattern": NAME_PATTERN, "description": "an environment name, e.g. staging"}
REF_INPUT = {"type": "string", "pattern": REF_PATTERN, "description": "a branch, tag or commit"}


@dataclass(frozen=True)
class AgentTool:
    """How the Ops agent may call a command: as the person who asked, through the command's own parser."""

    name: str  # fixed by the contract: it is what the model calls
    kind: ToolKind
    properties: dict[str, Any]
    required: tuple[str, ...]
    args: Callable[[dict[str, Any]], list[str]]  # tool input -> the command's words after its name
    note: str = ""


@dataclass(frozen=True)
class Form:
    """Another way to say a command, or a flag, for ``help <command>``: the words and what they do."""

    words: str  # as typed after the prefix, placeholders in <>
    does: str


@dataclass(frozen=True)
class Availability:
    """Whether a command is for this person where they are, as the command's own checks see it."""

    runs: bool
    note: str = ""  # what of it they may do ("you may deploy to staging"), shown on their help line


ANYONE = Availability(True)
NOBODY_HERE = Availability(False)


def among(configured: Sequence[str], allowed: Sequence[str], saying: str) -> Availability:
    """For people allowed some of what is ``configured`` (environments, say), noting which; with
    nothing configured yet it is for everyone, and the command says what is missing."""
    if not configured:
        return ANYONE
    if not allowed:
        return NOBODY_HERE
    return Availability(True, f"{saying} {', '.join(f'`{name}`' for name in allowed)}")


@dataclass(frozen=True)
class Entry(Generic[S, C]):
    command: type[C]
    words: tuple[str, ...]  # the leading words that select this entry
    usage: str
    summary: str
    parse: Callable[[list[str]], C]
    handle: Callable[[S, C, ChatMessage], Awaitable[Answer | str]]
    tool: AgentTool | None = None  # None: people only
    # A read-only entry whose words don't fit is more likely a question
    # ("status of the api looks odd?") than a typo, so it goes to the agent.
    questions_fall_through: bool = False
    # Prose ("we're rolling back") is taken word by word as typed: an apostrophe is not a quote.
    prose: bool = False
    # What `help` shows. Every entry has an example and says who may run it (a test holds them to it).
    example: str = ""  # a sentence as typed after the prefix, with real-looking values
    who: str = ""  # who may run it, in the words of ops.yaml and the forges
    forms: tuple[Form, ...] = ()  # the other forms and flags, for `help <command>`
    # Whether the person asking may run it where they are: the command's own permission check,
    # asked without acting (it must not wait on anything: Slack's `help` is answered in the ack).
    # None: anyone, anywhere.
    available: Callable[[S, ChatMessage], Availability] | None = None


@dataclass(frozen=True)
class Section(Generic[S]):
    """A feature's entries and the service their handlers run on."""

    service: S
    entries: Sequence[Entry[S, Any]]


def optional(value: Any) -> list[str]:
    """An optional tool input as the words it adds to a command."""
    return [str(value)] if value else []
