"""The Ops agent's entry point, as the rest of the core sees it."""

from __future__ import annotations

from typing import Protocol

from bot.model import Answer, ChatMessage

NOT_CONFIGURED = (
    "The Ops assistant is not configured on this opsbot (no `ANTHROPIC_API_KEY`), "
    "so I can't answer free-form questions. Commands still work: try `help`."
)


class Assistant(Protocol):
    async def answer(self, message: ChatMessage) -> Answer | str: ...


class UnconfiguredAssistant:
    """Stands in when no Claude key is set: says so, plainly, every time."""

    async def answer(self, message: ChatMessage) -> str:
        return NOT_CONFIGURED
