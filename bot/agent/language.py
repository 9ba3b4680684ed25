"""The language model as the agent sees it: a conversation in, a reply out.

The vocabulary is the agent's own; ``bot.clients.claude`` turns it into
Messages API requests. The prompt is split where the cache splits it: a
static prefix (instructions and tools, byte-identical for every request)
and the conversation after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class Prefix:
    """What every request starts with; cached, so it must never vary per request."""

    instructions: str
    tools: tuple[ToolSpec, ...]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    content: str
    is_error: bool = False


Block = Text | ToolCall | ToolResult


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # not read from or written to the cache
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        """Every input token of the request, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Text | ToolCall, ...]
    stop_reason: str  # end_turn, tool_use, max_tokens, refusal, …
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if isinstance(b, Text) and b.text.strip())

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [b for b in self.blocks if isinstance(b, ToolCall)]


class LanguageModel(Protocol):
    async def reply(self, prefix: Prefix, turns: list[Turn], *, max_tokens: int, within: float) -> Reply:
        """The model's next turn, within ``within`` seconds.

        Raises UpstreamUnavailable (worth retrying) or UpstreamRejected."""
