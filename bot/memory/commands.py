"""The remember, memories and forget commands: their sentences, parsers, handlers and table entries.

Memories shape what the Ops agent does for everyone, so on GitHub and GitLab
only people who can push to the repository may add or remove them: anyone
can comment on a public repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.commands.entry import Entry
from bot.commands.grammar import UsageProblem
from bot.commands.types import MEMORY_TYPES, MemoryType
from bot.deploys.deploying import Forge, ForgeName
from bot.errors import CommandError
from bot.memory.memories import Memories as MemoryService
from bot.memory.memories import Memory
from bot.model import ChatMessage, GitHubThread, GitLabThread, Place, SlackThread

SHOWN = 25
MEMORY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Remember:
    type: MemoryType
    text: str


@dataclass(frozen=True)
class Memories:
    type: MemoryType | None = None


@dataclass(frozen=True)
class Forget:
    memory_id: str


def _memory_type(value: str) -> MemoryType:
    for known in MEMORY_TYPES:
        if value.lower() == known:
            return known
    raise UsageProblem(f"{value!r} is not a memory type; use one of {', '.join(MEMORY_TYPES)}")


def parse_remember(args: list[str]) -> Remember:
    if len(args) < 2:
        raise UsageProblem("expected a memory type and the text to remember")
    return Remember(type=_memory_type(args[0]), text=" ".join(args[1:]))


def parse_memories(args: list[str]) -> Memories:
    if len(args) > 1:
        raise UsageProblem("takes at most one memory type")
    return Memories(type=_memory_type(args[0]) if args else None)


def parse_forget(args: list[str]) -> Forget:
    if len(args) != 1 or not MEMORY_ID.match(args[0]):
        raise UsageProblem("expected one memory id")
    return Forget(memory_id=args[0])


def home_scope(place: Place) -> str:
    """Where a memory taught here belongs: the repository on a forge, else the whole team."""
    if isinstance(place, GitHubThread):
        return f"repo:{place.repo}"
    if isinstance(place, GitLabThread):
        return f"repo:{place.project}"
    return "global"


def visible_scopes(place: Place) -> list[str]:
    scopes = ["global"]
    if isinstance(place, SlackThread):
        scopes.append(f"channel:{place.channel}")
    elif isinstance(place, GitHubThread | GitLabThread):
        scopes.append(home_scope(place))
    return scopes


def line(memory: Memory) -> str:
    return f"• `{memory.id}` _{memory.type}_ {memory.content} ({memory.scope}, by {memory.author})"


class MemoryCommands:
    def __init__(self, memories: MemoryService, forges: Mapping[ForgeName, Forge]) -> None:
        self._memories = memories
        self._forges = forges

    async def _check_write_access(self, message: ChatMessage) -> None:
        place, person = message.place, message.author
        if isinstance(place, GitHubThread):
            forge, repo = self._forges.get("github"), place.repo
        elif isinstance(place, GitLabThread):
            forge, repo = self._forges.get("gitlab"), place.project
        else:
            return  # Slack and the console are the team's own rooms
        try:
            allowed = forge is not None and await forge.may_deploy(repo, person)
        except Exception as exc:  # a check that fails denies
            raise CommandError(f"I couldn't confirm your access to `{repo}`, so I changed nothing. ({exc})") from exc
        if not allowed:
            raise CommandError(f"Only people who can push to `{repo}` can change what opsbot remembers here.")

    async def learn(self, message: ChatMessage, type: str, content: str, *, source: str) -> Memory:
        """Keep a memory taught in ``message``'s thread, if its author may change memories there."""
        await self._check_write_access(message)
        return await self._memories.remember(
            home_scope(message.place), type, content, author=message.author.handle, source=source
        )

    async def recall(
        self, message: ChatMessage, query: str, budget: int, extra_scopes: Sequence[str] = ()
    ) -> list[Memory]:
        """What is known here about ``query``: this place's scopes plus ``extra_scopes`` (services)."""
        return await self._memories.recall([*visible_scopes(message.place), *extra_scopes], query, budget)

    async def remember(self, command: Remember, message: ChatMessage) -> str:
        stored = await self.learn(message, command.type, command.text, source="command")
        return f"🧠 Remembered `{stored.id}` as _{stored.type}_ ({stored.scope}): {stored.content}"

    async def list(self, command: Memories, message: ChatMessage) -> str:
        found = await self._memories.listing(visible_scopes(message.place), command.type, SHOWN)
        if not found:
            kind = f" _{command.type}_" if command.type else ""
            return f"No{kind} memories here yet. Teach one with `remember <type> <text>`."
        return "\n".join([f"**What opsbot remembers here** (newest {len(found)}):", *(line(m) for m in found)])

    async def forget(self, command: Forget, message: ChatMessage) -> str:
        await self._check_write_access(message)
        gone = await self._memories.forget(command.memory_id, visible_scopes(message.place))
        return f"🗑️ Forgot `{gone.id}`: {gone.content}"


# The agent keeps lessons through its own `remember` tool (bot.agent.tools), which takes content, not words.
MEMORY_COMMANDS: tuple[Entry[MemoryCommands, Any], ...] = (
    Entry(
        Remember, ("remember",), "remember <type> <text>", "teach the Ops agent something", parse_remember,
        MemoryCommands.remember,
    ),
    Entry(
        Memories, ("memories",), "memories [<type>]", "list what the Ops agent remembers", parse_memories,
        MemoryCommands.list, questions_fall_through=True,
    ),
    Entry(Forget, ("forget",), "forget <id>", "delete a memory", parse_forget, MemoryCommands.forget),
)  # fmt: skip
