"""What parsing a message gives: a command, free text for the agent, or a malformed command.

A command is the value its entry's parser returns; each feature declares its
own (``bot.deploys.grammar``, ``bot.memory.commands``, …). ``help`` is the
table's own sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MemoryType = Literal[
    "pattern", "architecture", "guideline", "mistake", "strategy", "integration", "performance", "context"
]
MEMORY_TYPES: tuple[MemoryType, ...] = (
    "pattern",
    "architecture",
    "guideline",
    "mistake",
    "strategy",
    "integration",
    "performance",
    "context",
)


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # `help deploy`: the command's words, lowered; None: everything here


@dataclass(frozen=True)
class FreeText:
    """Not a command: the words go to the Ops agent."""

    text: str


@dataclass(frozen=True)
class Malformed:
    """A command word whose arguments don't fit; ``usage`` shows the right form."""

    problem: str
    usage: str


Parsed = object  # a command value, FreeText or Malformed
