"""A memory: one thing the team taught the Ops agent, in a scope and a category."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.commands.types import MemoryType

TOKENS_PER_CHAR = 0.25  # a rough count, enough for a budget


@dataclass(frozen=True)
class Memory:
    id: str
    scope: str
    type: MemoryType
    content: str
    author: str  # handle of the person (or "opsbot" for the agent)
    source: str  # "command", "tool", "answer", "import"
    created_at: float
    last_used: float
    uses: int = 0

    @property
    def tokens(self) -> int:
        return max(1, int(len(self.content) * TOKENS_PER_CHAR))


def new_id() -> str:
    return "m-" + secrets.token_hex(4)
