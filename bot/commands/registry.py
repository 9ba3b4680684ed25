"""The one explicit registry of the chat grammar.

Slack slash commands, Slack mentions, GitHub and GitLab comments, the console
and (later) the agent's tools all parse text through :func:`parse`, so a
sentence means the same thing wherever it is typed. Each entry carries its
usage line and a one-line summary, which is all ``help`` needs.

Names and refs are checked here, at the door, against a strict alphabet: a
service called ``api;rm -rf /`` or a ref of ``$(curl …)`` never reaches
anything that could act on it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.commands.types import (
    MEMORY_TYPES,
    Approve,
    Command,
    Deploy,
    Forget,
    FreeText,
    Help,
    IncidentCommander,
    IncidentDeclare,
    IncidentResolve,
    IncidentSnooze,
    IncidentUpdate,
    Lock,
    Locks,
    Malformed,
    Memories,
    MemoryType,
    Parsed,
    Remember,
    Rollback,
    Status,
    Todos,
    Unlock,
)
from bot.text import code

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# A conservative subset of what `git check-ref-format` allows: enough for
# branches, tags and SHAs, nothing a shell or a URL could misread.
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
MEMORY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
APPROVAL_ID = re.compile(r"^[0-9a-f]{6}$")


class UsageProblem(Exception):
    """Raised by a parser; becomes a :class:`Malformed` with the entry's usage."""


@dataclass(frozen=True)
class Entry:
    words: tuple[str, ...]  # the leading words that select this entry
    usage: str
    summary: str
    parse: Callable[[list[str]], Command]
    # A read-only entry whose words don't fit is more likely a question
    # ("status of the api looks odd?") than a typo, so it goes to the agent.
    questions_fall_through: bool = False
    # Prose ("we're rolling back") is taken word by word as typed: an apostrophe is not a quote.
    prose: bool = False


def _name(value: str, what: str) -> str:
    if not NAME.match(value):
        raise UsageProblem(f"{value!r} is not a valid {what} name (letters, digits, '.', '_', '-')")
    return value


def _ref(value: str) -> str:
    if not REF.match(value) or ".." in value or value.endswith((".lock", "/", ".")) or "//" in value:
        raise UsageProblem(f"{value!r} is not a valid git ref")
    return value


def _split_option(args: list[str], option: str) -> tuple[list[str], str | None]:
    """Split ``args`` at ``option``; the words after it are its value."""
    if option not in args:
        return args, None
    at = args.index(option)
    value = " ".join(args[at + 1 :]).strip()
    if not value:
        raise UsageProblem(f"{option} needs a value")
    return args[:at], value


def _no_args(command: Command) -> Callable[[list[str]], Command]:
    def parse(args: list[str]) -> Command:
        if args:
            raise UsageProblem("takes no arguments")
        return command

    return parse


def _deploy(args: list[str]) -> Command:
    if len(args) == 2 and args[0].lower() == "to":  # on a PR/MR: "deploy to staging"
        return Deploy(service=None, ref=None, environment=_name(args[1], "environment"))
    if len(args) != 3 or args[1].lower() != "to":
        raise UsageProblem("expected a service, 'to' and an environment")
    service, _, ref = args[0].partition("@")
    if "@" in args[0] and not ref:
        raise UsageProblem("a ref must follow '@'")
    return Deploy(
        service=_name(service, "service"),
        ref=_ref(ref) if ref else None,
        environment=_name(args[2], "environment"),
    )


def _rollback(args: list[str]) -> Command:
    if len(args) != 2:
        raise UsageProblem("expected a service and an environment")
    return Rollback(service=_name(args[0], "service"), environment=_name(args[1], "environment"))


def _approve(args: list[str]) -> Command:
    if len(args) > 1 or (args and not APPROVAL_ID.match(args[0])):
        raise UsageProblem("takes at most one approval id")
    return Approve(approval_id=args[0] if args else None)


def _status(args: list[str]) -> Command:
    if len(args) > 1:
        raise UsageProblem("takes at most one service")
    return Status(service=_name(args[0], "service") if args else None)


def _lock(args: list[str]) -> Command:
    args, reason = _split_option(args, "--reason")
    if not 1 <= len(args) <= 2:
        raise UsageProblem("expected an environment and optionally a service")
    return Lock(
        environment=_name(args[0], "environment"),
        service=_name(args[1], "service") if len(args) == 2 else None,
        reason=reason,
    )


def _unlock(args: list[str]) -> Command:
    if not 1 <= len(args) <= 2:
        raise UsageProblem("expected an environment and optionally a service")
    return Unlock(
        environment=_name(args[0], "environment"),
        service=_name(args[1], "service") if len(args) == 2 else None,
    )


def _declare(args: list[str]) -> Command:
    args, sev = _split_option(args, "--sev")
    title = " ".join(args).strip()
    if not title:
        raise UsageProblem("an incident needs a title")
    severity = 3
    if sev is not None:
        if sev not in ("1", "2", "3", "4"):
            raise UsageProblem("--sev must be 1, 2, 3 or 4")
        severity = int(sev)
    return IncidentDeclare(title=title, severity=severity)


def _update(args: list[str]) -> Command:
    text = " ".join(args).strip()
    if not text:
        raise UsageProblem("an update needs some text")
    return IncidentUpdate(text=text)


def _resolve(args: list[str]) -> Command:
    return IncidentResolve(summary=" ".join(args).strip() or None)


SLACK_USER = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9_]+)$")


def _commander(args: list[str]) -> Command:
    found = SLACK_USER.match(args[0]) if len(args) == 1 else None
    if found is None:
        raise UsageProblem("expects one Slack user, as @name")
    return IncidentCommander(user=found.group(1) or found.group(2))


def _snooze(args: list[str]) -> Command:
    if not args:
        return IncidentSnooze(minutes=None)
    if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= 1440:
        raise UsageProblem("takes a number of minutes from 1 to 1440")
    return IncidentSnooze(minutes=int(args[0]))


def _memory_type(value: str) -> MemoryType:
    for known in MEMORY_TYPES:
        if value.lower() == known:
            return known
    raise UsageProblem(f"{value!r} is not a memory type; use one of {', '.join(MEMORY_TYPES)}")


def _remember(args: list[str]) -> Command:
    if len(args) < 2:
        raise UsageProblem("expected a memory type and the text to remember")
    return Remember(type=_memory_type(args[0]), text=" ".join(args[1:]))


def _memories(args: list[str]) -> Command:
    if len(args) > 1:
        raise UsageProblem("takes at most one memory type")
    return Memories(type=_memory_type(args[0]) if args else None)


def _forget(args: list[str]) -> Command:
    if len(args) != 1 or not MEMORY_ID.match(args[0]):
        raise UsageProblem("expected one memory id")
    return Forget(memory_id=args[0])


REGISTRY: tuple[Entry, ...] = (
    Entry(("help",), "help", "list what opsbot understands", _no_args(Help()), questions_fall_through=True),
    Entry(
        ("deploy",),
        "deploy <service>[@<ref>] to <env>",
        "deploy a service (on a PR/MR: `deploy to <env>` deploys its head commit)",
        _deploy,
    ),
    Entry(("rollback",), "rollback <service> <env>", "redeploy the previous successful ref", _rollback),
    Entry(
        ("approve",),
        "approve [<id>]",
        "approve a pending deploy to a protected environment (not your own)",
        _approve,
    ),
    Entry(("status",), "status [<service>]", "recent deploys, locks and audit", _status, questions_fall_through=True),
    Entry(("lock",), "lock <env> [<service>] [--reason <text>]", "hold deploys to an environment", _lock),
    Entry(("unlock",), "unlock <env> [<service>]", "release your lock", _unlock),
    Entry(("locks",), "locks", "list the locks that are held", _no_args(Locks()), questions_fall_through=True),
    Entry(
        ("incident", "declare"),
        "incident declare <title> [--sev 1-4]",
        "open an incident channel and tracking issue",
        _declare,
        prose=True,
    ),
    Entry(
        ("incident", "update"), "incident update <text>", "post a status update to the incident", _update, prose=True
    ),
    Entry(("incident", "commander"), "incident commander @user", "hand the incident to a new commander", _commander),
    Entry(("incident", "snooze"), "incident snooze [<minutes>]", "pause the update reminders (default 30)", _snooze),
    Entry(
        ("incident", "resolve"),
        "incident resolve [<summary>]",
        "resolve the incident and draft a review",
        _resolve,
        prose=True,
    ),
    Entry(("remember",), "remember <type> <text>", "teach the Ops agent something", _remember),
    Entry(
        ("memories",), "memories [<type>]", "list what the Ops agent remembers", _memories, questions_fall_through=True
    ),
    Entry(("forget",), "forget <id>", "delete a memory", _forget),
    Entry(("todos",), "todos", "show the Ops agent's task list here", _no_args(Todos()), questions_fall_through=True),
)


def parse(text: str) -> Parsed:
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
    for entry in sorted(REGISTRY, key=lambda e: -len(e.words)):
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
    if lowered and lowered[0] == "incident":
        return Malformed(
            problem="`incident` needs declare, update, commander, snooze or resolve", usage="incident declare <title>"
        )
    return FreeText(stripped)


def is_help(text: str) -> bool:
    """Whether :func:`parse` would return Help, without tokenising (a hot path)."""
    stripped = text.strip().lower()
    if "'" in stripped or '"' in stripped:  # quoting rules are the tokeniser's business
        return isinstance(parse(text), Help)
    return stripped in ("", "help")


def help_lines(prefix: str) -> list[str]:
    """One line per command, in the order of the registry."""
    return [f"{code(prefix + entry.usage)} — {entry.summary}" for entry in REGISTRY] + [
        f"{code(prefix + '<anything else>')} — ask the Ops agent"
    ]
