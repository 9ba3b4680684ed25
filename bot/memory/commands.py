"""The remember, memories, forget and keep commands: their sentences, parsers, handlers and table entries.

Memories shape what the Ops agent does for everyone. On GitHub and GitLab
only people who can push to the repository may add or remove them: anyone
can comment on a public repository. In Slack a channel's memories are open
to anyone in it, but team-wide and service memories need a memory writer
(ops.yaml ``memory.writers``, else the deployers and approvers): anyone
else's lesson is offered with a **Keep** button a writer can click.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.commands.entry import ANYONE, NOBODY_HERE, Availability, Entry, Form
from bot.commands.grammar import UsageProblem
from bot.commands.names import is_name
from bot.commands.types import MEMORY_TYPES, MemoryType
from bot.config import OpsConfig
from bot.errors import CommandError
from bot.forges import ForgeAccess, ForgeName, push_access, repository
from bot.memory.hygiene import copied_problem, proposal_problem
from bot.memory.memories import Memories as MemoryService
from bot.memory.model import Memory
from bot.memory.offers import KEEP_ACTION, Offer, Offers
from bot.memory.scopes import Scope, applying, chosen, label, narrowest, people_default
from bot.model import Answer, Button, ChatMessage, ConsoleThread, SlackThread
from bot.ports import Marks
from bot.text import mention_handle

SHOWN = 25
MEMORY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OFFER_ID = re.compile(r"^o-[0-9a-f]{8}$")  # as bot.memory.offers makes them
PROPOSED = ("tool", "answer")  # sources whose lessons are the agent's proposals, checked before they are kept


@dataclass(frozen=True)
class Remember:
    type: MemoryType
    text: str
    scope: str | None = None  # "team", "channel" or "service:<name>"; None: where it was taught


@dataclass(frozen=True)
class Memories:
    type: MemoryType | None = None


@dataclass(frozen=True)
class Forget:
    memory_id: str


@dataclass(frozen=True)
class Keep:
    offer_id: str


def _memory_type(value: str) -> MemoryType:
    for known in MEMORY_TYPES:
        if value.lower() == known:
            return known
    raise UsageProblem(f"{value!r} is not a memory type; use one of {', '.join(MEMORY_TYPES)}")


def _scope_flag(args: list[str]) -> tuple[str | None, list[str]]:
    """The leading ``--service S``, ``--channel`` or ``--team``, and the words after it."""
    if not args or not args[0].startswith("--"):
        return None, args
    flag, _, value = args[0].partition("=")
    rest = args[1:]
    if flag in ("--team", "--channel") and not value:
        scope: str = flag.removeprefix("--")
    elif flag == "--service":
        if not value:
            if not rest:
                raise UsageProblem("--service needs a service name")
            value, rest = rest[0], rest[1:]
        if not is_name(value):
            raise UsageProblem(f"{value!r} is not a service name")
        scope = f"service:{value}"
    else:
        raise UsageProblem(f"{args[0]!r} is not an option of remember; use --service <s>, --channel or --team")
    if rest and rest[0].startswith("--"):
        raise UsageProblem("choose one of --service <s>, --channel and --team")
    return scope, rest


def parse_remember(args: list[str]) -> Remember:
    scope, args = _scope_flag(args)
    if len(args) < 2:
        raise UsageProblem("expected a memory type and the text to remember")
    return Remember(type=_memory_type(args[0]), text=" ".join(args[1:]), scope=scope)


def parse_memories(args: list[str]) -> Memories:
    if len(args) > 1:
        raise UsageProblem("takes at most one memory type")
    return Memories(type=_memory_type(args[0]) if args else None)


def parse_forget(args: list[str]) -> Forget:
    if len(args) != 1 or not MEMORY_ID.match(args[0]):
        raise UsageProblem("expected one memory id")
    return Forget(memory_id=args[0])


def parse_keep(args: list[str]) -> Keep:
    if len(args) != 1 or not OFFER_ID.match(args[0]):
        raise UsageProblem("expected the id of an offered lesson")
    return Keep(offer_id=args[0])


def line(memory: Memory) -> str:
    return (
        f"• `{memory.id}` _{memory.type}_ {memory.content} "
        f"({label(memory.scope)}, by {memory.author}, recalled {memory.uses}×)"
    )


def offered_text(offer: Offer) -> str:
    return (
        f"🧠 Offered, not kept yet: _{offer.type}_ {offer.content} ({label(offer.scope)}). "
        f"Only memory writers teach the team from Slack: one of them can click **Keep** "
        f"(or type `keep {offer.id}`) within 7 days."
    )


def keep_button(offer: Offer) -> Button:
    return Button("Keep", KEEP_ACTION, offer.id)


Learned = Memory | Offer


class MemoryCommands:
    def __init__(
        self,
        memories: MemoryService,
        forges: Mapping[ForgeName, ForgeAccess],
        config: OpsConfig,
        marks: Marks,
    ) -> None:
        self._memories = memories
        self._forges = forges
        self._config = config
        self._offers = Offers(marks)

    def scopes(self, message: ChatMessage, services: Sequence[str] = ()) -> list[str]:
        """The stored keys of every scope that applies where ``message`` was asked."""
        return [scope.key for scope in applying(message.place, self._config, services)]

    async def _check_write_access(self, message: ChatMessage) -> None:
        here = repository(message.place)
        if here is None:
            return  # Slack and the console are the team's own rooms
        access = await push_access(self._forges, here.forge, here.name, message.author)
        if access.failure is not None:
            raise CommandError(
                f"I couldn't confirm your access to `{here.name}`, so I changed nothing. ({access.failure})"
            ) from access.failure
        if not access:
            raise CommandError(f"Only people who can push to `{here.name}` can change what opsbot remembers here.")

    def _teaches_the_team(self, message: ChatMessage) -> bool:
        """Whether ``message``'s author keeps team-wide and service lessons at once: outside Slack
        (the forges ask for push access instead), or as a memory writer."""
        return not isinstance(message.place, SlackThread) or message.author.handle in self._config.writers

    def _needs_writer(self, message: ChatMessage, scope: Scope) -> bool:
        """Team-wide and service lessons from Slack need a memory writer; a channel's are its own."""
        return scope.kind in ("team", "service") and not self._teaches_the_team(message)

    def _may_keep(self, message: ChatMessage) -> bool:
        # Wherever `keep` is typed (an offer id is no secret), only a listed writer keeps a lesson;
        # the console is the operator's own terminal.
        return isinstance(message.place, ConsoleThread) or message.author.handle in self._config.writers

    # -- who help lists them for -------------------------------------------------------------
    def rememberable(self, message: ChatMessage) -> Availability:
        if self._teaches_the_team(message):
            return ANYONE
        return Availability(True, "your team and service lessons wait for a memory writer's Keep")

    def keepable(self, message: ChatMessage) -> Availability:
        return ANYONE if self._may_keep(message) else NOBODY_HERE

    async def learn(
        self,
        message: ChatMessage,
        type: str,
        content: str,
        *,
        source: str,
        scope: str | None = None,
        untrusted: Sequence[str] = (),
    ) -> Learned:
        """Keep a lesson taught in ``message``'s thread, or offer it to a memory writer.

        ``scope`` is what was asked for ("team", "service:<name>", "repo", "channel"); None is the
        narrowest that fits here for the agent's lessons, and where people are for theirs.
        Lessons the agent proposes must pass the proposal checks and must not be copied from
        ``untrusted``, the material the task read that did not come from the asker."""
        await self._check_write_access(message)
        place = message.place
        where = chosen(scope, place, self._config) if scope else None
        if source in PROPOSED:
            problem = proposal_problem(content) or copied_problem(content, untrusted)
            if problem is not None:
                raise CommandError(problem)
            where = where or narrowest(place)
        where = where or people_default(place)
        kind, clean = self._memories.check(type, content)
        if self._needs_writer(message, where):
            return await self._offers.offer(Offer.new(where.key, kind, clean, message.author.handle, source))
        return await self._memories.remember(where.key, kind, clean, author=message.author.handle, source=source)

    async def recall(self, message: ChatMessage, query: str, budget: int, services: Sequence[str] = ()) -> list[Memory]:
        """What is known here about ``query``: every scope that applies, with the ``services`` concerned."""
        return await self._memories.recall(self.scopes(message, services), query, budget)

    async def remember(self, command: Remember, message: ChatMessage) -> Answer | str:
        learned = await self.learn(message, command.type, command.text, source="command", scope=command.scope)
        if isinstance(learned, Offer):
            return Answer(offered_text(learned), (keep_button(learned),))
        if learned.uses > 0:  # a new memory has never been used: this one said it already
            return f"🧠 Already known as `{learned.id}` ({label(learned.scope)}): {learned.content}"
        return f"🧠 Remembered `{learned.id}` as _{learned.type}_ ({label(learned.scope)}): {learned.content}"

    async def keep(self, command: Keep, message: ChatMessage) -> str:
        """A memory writer keeps a lesson someone else offered (the Keep button types this)."""
        offer = await self._offers.get(command.offer_id)
        if offer is None:
            raise CommandError(f"There is no lesson `{command.offer_id}` waiting to be kept (offers last 7 days).")
        if not self._may_keep(message):
            raise CommandError("Only memory writers (ops.yaml `memory.writers`) can keep a lesson for the team.")
        memory = await self._memories.remember(
            offer.scope, offer.type, offer.content, author=offer.author, source=offer.source
        )
        await self._offers.taken(offer.id)
        return (
            f"🧠 Kept `{memory.id}` as _{memory.type}_ ({label(memory.scope)}): {memory.content} "
            f"(taught by {mention_handle(offer.author)}, kept by {message.author.ref})"
        )

    async def list(self, command: Memories, message: ChatMessage) -> str:
        here = self.scopes(message)
        found = await self._memories.listing(here, command.type, SHOWN)
        if not found:
            kind = f" _{command.type}_" if command.type else ""
            return f"No{kind} memories here yet. Teach one with `remember <type> <text>`."
        heading = f"**What opsbot remembers here** (newest {len(found)}; {', '.join(label(s) for s in here)}):"
        return "\n".join([heading, *(line(m) for m in found)])

    async def forget(self, command: Forget, message: ChatMessage) -> str:
        await self._check_write_access(message)
        gone = await self._memories.forget(command.memory_id, self.scopes(message))
        return f"🗑️ Forgot `{gone.id}`: {gone.content}"


WRITE_ACCESS = "on GitHub and GitLab only people who can push to the repository"

# The agent keeps lessons through its own `remember` tool (bot.agent.tools), which takes content, not words.
MEMORY_COMMANDS: tuple[Entry[MemoryCommands, Any], ...] = (
    Entry(
        Remember, ("remember",), "remember [--service <service>|--channel|--team] <type> <text>",
        "teach the Ops agent something (here by default: the repository on a forge, the team in Slack)",
        parse_remember, MemoryCommands.remember,
        example="remember mistake the api health check times out on cold starts",
        who=(
            f"anyone; {WRITE_ACCESS}. In Slack, team-wide and service lessons from anyone but a memory writer "
            "(ops.yaml memory.writers, else the deployers and approvers) wait for a writer's Keep"
        ),
        forms=(
            Form("remember --service <service> <type> <text>", "a lesson about one service, wherever it is asked"),
            Form("remember --channel <type> <text>", "this Slack channel's own"),
            Form("remember --team <type> <text>", "everyone's"),
            Form("remember <type> <text>", f"types: {', '.join(MEMORY_TYPES)}"),
        ),
        available=MemoryCommands.rememberable,
    ),
    Entry(
        Memories, ("memories",), "memories [<type>]", "list what the Ops agent remembers here, with recall counts",
        parse_memories, MemoryCommands.list, questions_fall_through=True,
        example="memories mistake", who="anyone",
    ),
    Entry(
        Forget, ("forget",), "forget <id>", "delete a memory", parse_forget, MemoryCommands.forget,
        example="forget m-1a2b3c", who=f"anyone; {WRITE_ACCESS}",
    ),
    Entry(
        Keep, ("keep",), "keep <offer>", "keep a lesson someone offered (memory writers)", parse_keep,
        MemoryCommands.keep,
        # "keep checking the locks" is a request to the agent; only `keep o-1a2b3c4d` is this command.
        questions_fall_through=True,
        example="keep o-1a2b3c4d", who="memory writers (ops.yaml memory.writers, else the deployers and approvers)",
        available=MemoryCommands.keepable,
    ),
)  # fmt: skip
