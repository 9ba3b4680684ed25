"""Claude as the agent's :class:`bot.agent.language.LanguageModel`, over the ``anthropic`` SDK.

The SDK's own retries are switched off: the agent retries within its wall
time and counts the attempts it reports. Errors are translated into the
core's tree: 429, 529, other 5xx, timeouts and lost connections are worth
retrying; any other refusal is not.
"""

from __future__ import annotations

from typing import Any

import anthropic
from anthropic.types import Message

from bot.agent.language import Block, Prefix, Reply, Text, ToolCall, Turn, Usage
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.text import strip_tokens

SERVICE = "Claude"
CACHED = {"type": "ephemeral"}
PLAIN = {
    401: "the Anthropic API key was refused (check ANTHROPIC_API_KEY)",
    403: "the Anthropic API key may not use this model",
    404: "the model does not exist (check OPSBOT_MODEL)",
    413: "the request was too large",
}


def _retry_after(headers: Any) -> float | None:
    """The SDK prefers ``retry-after-ms`` (precise) to ``retry-after`` (whole seconds); so do we."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return float(raw) / scale
            except ValueError:
                continue
    return None


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolCall):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return {"type": "tool_result", "tool_use_id": block.call_id, "content": block.content, "is_error": block.is_error}


def request_body(prefix: Prefix, turns: list[Turn]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """(system, tools, messages) as the Messages API takes them.

    Two cache breakpoints: the end of the instructions, which caches the tools
    and instructions for every task; and the end of the conversation, which
    lets each turn of a task read the turns before it from the cache.
    """
    system = [{"type": "text", "text": prefix.instructions, "cache_control": CACHED}]
    tools = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in prefix.tools]
    messages: list[Any] = [{"role": t.role, "content": [_block(b) for b in t.blocks]} for t in turns]
    if messages and messages[-1]["content"]:
        messages[-1]["content"][-1]["cache_control"] = CACHED
    return system, tools, messages


def _reply(message: Message) -> Reply:
    blocks: list[Text | ToolCall] = []
    for block in message.content:
        if block.type == "text":
            blocks.append(Text(strip_tokens(block.text)))  # a prompt can steer the answer: it is outside text
        elif block.type == "tool_use":
            blocks.append(ToolCall(block.id, block.name, _stripped(dict(block.input))))
        # Other block types (thinking, server tools) are not requested by opsbot.
    usage = message.usage
    return Reply(
        tuple(blocks),
        message.stop_reason or "end_turn",
        Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_input_tokens or 0,
            cache_write_tokens=usage.cache_creation_input_tokens or 0,
        ),
    )


class ClaudeModel:
    def __init__(self, api_key: str, base_url: str | None, model: str) -> None:
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0)
        self._model = model

    async def reply(self, prefix: Prefix, turns: list[Turn], *, max_tokens: int, within: float) -> Reply:
        system, tools, messages = request_body(prefix, turns)
        try:
            message = await self._client.messages.create(
                model=self._model,
                max_tokens=max_tokens,
                system=system,  # type: ignore[arg-type]  # plain dicts of the documented shape
                tools=tools,  # type: ignore[arg-type]
                messages=messages,
                timeout=within,
            )
        except anthropic.APIStatusError as exc:
            status = exc.status_code
            detail = exc.message
            if status in (408, 409, 429) or status >= 500:
                raise UpstreamUnavailable(
                    SERVICE, detail, status=status, retry_after=_retry_after(exc.response.headers)
                ) from exc
            raise UpstreamRejected(SERVICE, PLAIN.get(status, detail), status=status) from exc
        except anthropic.APIConnectionError as exc:  # includes timeouts
            raise UpstreamUnavailable(SERVICE, f"no answer ({type(exc).__name__})") from exc
        return _reply(message)

    async def close(self) -> None:
        await self._client.close()


def _stripped(value: Any) -> Any:
    """A tool's input with opsbot's token characters removed from every string in it."""
    if isinstance(value, str):
        return strip_tokens(value)
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items()}
    return value
