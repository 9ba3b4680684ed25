"""The grammar of every feature's entries, in the order the composition root binds them, and the
sentences a usage line describes."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from bot.commands.names import NAME_PATTERN, REF_PATTERN, is_ref
from bot.commands.table import Grammar
from bot.commands.types import MEMORY_TYPES
from bot.deploys.commands import DEPLOY_COMMANDS
from bot.deploys.denials import DENY_COMMANDS
from bot.deploys.lock_commands import LOCK_COMMANDS
from bot.incidents.commands import INCIDENT_COMMANDS
from bot.memory.commands import MEMORY_COMMANDS
from bot.todos.commands import TODO_COMMANDS

GRAMMAR = Grammar(
    (*DEPLOY_COMMANDS, *DENY_COMMANDS, *LOCK_COMMANDS, *INCIDENT_COMMANDS, *MEMORY_COMMANDS, *TODO_COMMANDS)
)

# Placeholders of the usage lines, and values of the kind a person would type for them.
_WORD = st.from_regex(r"[a-z]{1,8}", fullmatch=True)
_PROSE = st.lists(_WORD, min_size=1, max_size=5).map(" ".join)
PLACEHOLDERS: dict[str, st.SearchStrategy[str]] = {
    "service": st.from_regex(NAME_PATTERN, fullmatch=True),
    "env": st.from_regex(NAME_PATTERN, fullmatch=True),
    "ref": st.from_regex(REF_PATTERN, fullmatch=True).filter(is_ref),
    "id": st.from_regex(r"[0-9a-f]{6}", fullmatch=True),
    "offer": st.from_regex(r"o-[0-9a-f]{8}", fullmatch=True),
    "type": st.sampled_from(MEMORY_TYPES),
    "minutes": st.integers(1, 1440).map(str),
    "sev": st.integers(1, 4).map(str),
    "user": st.from_regex(r"<@U[A-Z0-9]{2,10}>", fullmatch=True),
    "text": _PROSE,
    "title": _PROSE,
    "summary": _PROSE,
    "command": st.sampled_from(sorted({" ".join(entry.words) for entry in GRAMMAR.entries})),
}
_PIECE = re.compile(r"(\[[^\]]+\]|<[a-z]+>)")


def sentences(usage: str) -> st.SearchStrategy[str]:
    """Sentences that a usage line describes: each ``[…]`` in or out (``[a|b]``: one of them or none),
    each ``<…>`` filled in."""

    def expand(template: str) -> st.SearchStrategy[str]:
        parts: list[st.SearchStrategy[str]] = []
        for piece in _PIECE.split(template):
            if piece.startswith("["):
                parts.append(st.one_of(st.just(""), *(expand(choice) for choice in piece[1:-1].split("|"))))
            elif piece.startswith("<"):
                parts.append(PLACEHOLDERS[piece[1:-1]])
            else:
                parts.append(st.just(piece))
        return st.tuples(*parts).map("".join)

    return expand(usage.replace("@user", "<user>").replace("1-4", "<sev>"))
