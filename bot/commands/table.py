"""The one command table: every sentence of the chat grammar, and who carries it out.

Slack slash commands, Slack mentions, GitHub and GitLab comments, the console
and the agent's tools all parse text through :meth:`Grammar.parse`, so a
sentence means the same thing wherever it is typed. Each entry carries its
usage line, summary, example, further forms and who may run it, which is all
``help`` needs (:mod:`bot.commands.help`), whether the person asking may run
it where they are, and whether the agent may call it. The features declare
their entries; the composition root hands them in, so this package imports no
feature.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import Any

from bot.commands.entry import ANYONE, Availability, Entry, Form, Section
from bot.commands.grammar import UsageProblem, no_args
from bot.commands.help import manual, overview, parse_help, unknown
from bot.commands.types import FreeText, Help, Malformed, Parsed
from bot.model import Answer, ChatMessage


def command_prefix(message: ChatMessage, bot_name: str) -> str:
    """How the person invokes opsbot where they are: ``/ops `` or ``@opsbot ``."""
    if message.platform_uses_slash():
        return "/ops "
    return f"@{bot_name} "


def _repeated(values: Iterable[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


class Grammar:
    """The entries, in the order ``help`` lists them, ``help`` first."""

    def __init__(self, entries: Iterable[Entry[Any, Any]]) -> None:
        # `help <command>` knows the commands: its parser reads this grammar's topics, filled below.
        self._topics: set[str] = set()
        self.entries: tuple[Entry[Any, Any], ...] = (replace(HELP, parse=parse_help(self._topics)), *entries)
        tools = [entry.tool.name for entry in self.entries if entry.tool is not None]
        for what, repeated in (
            ("command words", _repeated(entry.words for entry in self.entries)),
            ("command values", _repeated(entry.command for entry in self.entries)),
            ("tool names", _repeated(tools)),
        ):
            if repeated:
                raise ValueError(f"two entries share their {what}: {repeated}")
        self._longest_first = sorted(self.entries, key=lambda entry: -len(entry.words))
        # "incident" alone selects nothing: it needs one of the words that follow it.
        self._groups: dict[str, list[Entry[Any, Any]]] = {}
        for entry in self.entries:
            if len(entry.words) > 1:
                self._groups.setdefault(entry.words[0], []).append(entry)
        self._topics.update(" ".join(entry.words) for entry in self.entries)
        self._topics.update(self._groups)

    def parse(self, text: str) -> Parsed:
        """Turn a message (without the ``/ops`` or ``@opsbot`` prefix) into a command.

        Text that starts with no command word is free text for the agent.
        """
        stripped = text.strip()
        if not stripped:
            return Help()
        try:
            words = shlex.split(stripped)
        except ValueError:
            words = stripped.split()  # an unbalanced quote: still find the command word
            quoted_ok = False
        else:
            quoted_ok = True
        lowered = [w.lower() for w in words]
        for entry in self._longest_first:
            if tuple(lowered[: len(entry.words)]) != entry.words:
                continue
            try:
                if entry.prose:
                    return entry.parse(stripped.split()[len(entry.words) :])
                if not quoted_ok:
                    raise UsageProblem("has an unbalanced quote")
                return entry.parse(words[len(entry.words) :])
            except UsageProblem as problem:
                if entry.questions_fall_through:
                    return FreeText(stripped)
                return Malformed(problem=f"`{' '.join(entry.words)}` {problem}", usage=entry.usage)
        if lowered and (group := self._groups.get(lowered[0])):
            *others, last = [entry.words[1] for entry in group]
            needs = f"{', '.join(others)} or {last}" if others else last
            # The first sentence of the group in its shortest form shows the shape.
            return Malformed(problem=f"`{lowered[0]}` needs {needs}", usage=group[0].usage.split(" [")[0])
        return FreeText(stripped)

    def is_help(self, text: str) -> bool:
        """Whether :meth:`parse` would return Help, without tokenising (a hot path)."""
        stripped = text.strip().lower()
        if "'" in stripped or '"' in stripped:  # quoting rules are the tokeniser's business
            return isinstance(self.parse(text), Help)
        if stripped in ("", "help"):
            return True
        if stripped.split(maxsplit=1)[0] == "help":  # `help deploy`: the parser knows the commands
            return isinstance(self.parse(text), Help)
        return False

    def about(self, topic: str) -> tuple[Entry[Any, Any], ...]:
        """The entries ``help <topic>`` shows: the command with those words, or every command of a group."""
        return tuple(
            entry
            for entry in self.entries
            if " ".join(entry.words) == topic or (topic in self._groups and entry.words[0] == topic)
        )

    def names(self) -> list[str]:
        """The commands by their first word, in the order of the table (``incident`` once)."""
        return list(dict.fromkeys(entry.words[0] for entry in self.entries))

    def agent_callable(self) -> tuple[Entry[Any, Any], ...]:
        """The entries the Ops agent may call, in the order of the table."""
        return tuple(entry for entry in self.entries if entry.tool is not None)


class CommandTable:
    """The grammar with each entry's handler bound to the feature service that carries it out."""

    def __init__(self, bot_name: str, *sections: Section[Any]) -> None:
        self._bot_name = bot_name
        self.grammar = Grammar(entry for section in sections for entry in section.entries)
        self._handlers: dict[type[Any], Callable[[Any, ChatMessage], Awaitable[Answer | str]]] = {
            HELP.command: partial(HELP.handle, self)
        }
        self._availability: dict[type[Any], Callable[[ChatMessage], Availability]] = {}
        for section in sections:
            for entry in section.entries:
                self._handlers[entry.command] = partial(entry.handle, section.service)
                if entry.available is not None:
                    self._availability[entry.command] = partial(entry.available, section.service)

    def parse(self, text: str) -> Parsed:
        return self.grammar.parse(text)

    def is_help(self, text: str) -> bool:
        return self.grammar.is_help(text)

    async def run(self, command: object, message: ChatMessage) -> Answer | str:
        """Carry out ``command`` (a value the grammar parsed) for the person who sent ``message``."""
        return await self._handlers[type(command)](command, message)

    def available(self, entry: Entry[Any, Any], message: ChatMessage) -> Availability:
        """Whether the person who sent ``message`` may run ``entry`` where they are."""
        check = self._availability.get(entry.command)
        return ANYONE if check is None else check(message)

    def help(self, message: ChatMessage) -> str:
        """The answer to ``message``, which is ``help`` or ``help <command>`` (Slack answers it in the ack)."""
        parsed = self.parse(message.text)
        return self._answer_help(parsed if isinstance(parsed, Help) else Help(), message)

    def _answer_help(self, command: Help, message: ChatMessage) -> str:
        prefix = command_prefix(message, self._bot_name)

        def fits(entry: Entry[Any, Any]) -> Availability:
            return self.available(entry, message)

        if command.topic is None:
            return overview(self.grammar.entries, fits, prefix)
        chosen = self.grammar.about(command.topic)
        if not chosen:
            return unknown(command.topic, self.grammar.names(), prefix)
        return manual(chosen, fits, prefix)

    async def _help(self, command: Help, message: ChatMessage) -> str:
        return self._answer_help(command, message)


HELP: Entry[CommandTable, Help] = Entry(
    Help, ("help",), "help [<command>]", "list what you can run here, or all of one command",
    no_args(Help()),  # replaced by each grammar's own, which knows its commands
    CommandTable._help, questions_fall_through=True,
    example="help deploy", who="anyone",
    forms=(Form("help <command>", "every form of one command, its flags, an example and who may run it"),),
)  # fmt: skip
