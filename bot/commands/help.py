"""``help``: what this person may run where they are, and everything about one command.

Both are made from the command table's entries and nothing else: the usage
and summary, the example, the further forms, who may run it, and the entry's
own availability check, so a command is listed exactly where its handler
would not refuse the person for who or where they are. ``help <command>``
shows a command whoever asks (and says whether it is for them here), so
people can find out what others may do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from bot.commands.entry import Availability, Entry
from bot.commands.grammar import UsageProblem
from bot.commands.names import is_name
from bot.commands.types import Help
from bot.text import code

Fits = Callable[[Entry[Any, Any]], Availability]  # an entry's availability for the person asking, where they are


def parse_help(topics: Collection[str]) -> Callable[[list[str]], Help]:
    """``help``, ``help <command>``; ``topics`` are the command words (``deploy``, ``incident``,
    ``incident declare``). More words that name no command are a question for the agent
    ("help me understand the last deploy"); one unknown word is answered with the commands."""

    def parse(args: list[str]) -> Help:
        if not args:
            return Help()
        topic = " ".join(arg.lower() for arg in args)
        if topic in topics or len(args) == 1:
            return Help(topic)
        raise UsageProblem("takes at most one command")

    return parse


def _example(prefix: str, entry: Entry[Any, Any]) -> str:
    return f"e.g. {code(prefix + entry.example)}" if entry.example else ""


def overview(entries: Sequence[Entry[Any, Any]], fits: Fits, prefix: str) -> str:
    """One line per command this person may run here, with an example; then the ones they may not."""
    lines = [f"**What you can run here** ({code(prefix + 'help <command>')} shows all of one command):"]
    others: list[Entry[Any, Any]] = []
    for entry in entries:
        available = fits(entry)
        if not available.runs:
            others.append(entry)
            continue
        parts = [f"{code(prefix + entry.usage)} — {entry.summary}"]
        parts += [available.note] if available.note else []
        parts += [_example(prefix, entry)] if entry.example else []
        lines.append("• " + " · ".join(parts))
    lines.append(f"• {code(prefix + '<anything else>')} — ask the Ops agent")
    if others:
        lines.append(f"Not for you here: {', '.join(code(name) for name in _named(others, entries))}.")
    return "\n".join(lines)


def _named(chosen: Sequence[Entry[Any, Any]], entries: Sequence[Entry[Any, Any]]) -> list[str]:
    """``chosen``'s names, a group (``incident``) by its first word when none of it is left out."""
    whole = {e.words[0] for e in chosen if all(o in chosen for o in entries if o.words[0] == e.words[0])}
    return list(dict.fromkeys(e.words[0] if e.words[0] in whole else " ".join(e.words) for e in chosen))


def manual(chosen: Sequence[Entry[Any, Any]], fits: Fits, prefix: str) -> str:
    """Everything about the chosen commands: each form and flag, an example, who may run it, and you."""
    return "\n\n".join(_manual_of(entry, fits(entry), prefix) for entry in chosen)


def _manual_of(entry: Entry[Any, Any], available: Availability, prefix: str) -> str:
    lines = [f"**{code(prefix + entry.usage)}** — {entry.summary}"]
    lines += [f"• {code(prefix + form.words)} — {form.does}" for form in entry.forms]
    if entry.example:
        lines.append(f"Example: {code(prefix + entry.example)}")
    if entry.who:
        lines.append(f"Who may run it: {entry.who}.")
    if available.runs:
        lines.append("You may run it here" + (f": {available.note}." if available.note else "."))
    else:
        lines.append("You may not run it here.")
    return "\n".join(lines)


def unknown(topic: str, names: Sequence[str], prefix: str) -> str:
    """The answer to ``help <something that is no command>``: the commands there are."""
    # A topic is outside text: it is named only when it is a plain word.
    what = f"no command `{topic}`" if is_name(topic) else "no such command"
    listed = ", ".join(code(name) for name in names)
    return f"There is {what}. The commands are {listed}; {code(prefix + 'help')} lists what you can run here."
