"""The Anthropic emulator, driven by the anthropic SDK's AsyncAnthropic over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, MessageParam, TextBlock, TextBlockParam, ToolUseBlock

from tests import fixtures
from tests.emulators import AnthropicEmulator, api_error, text, tool_use

FIXTURE = fixtures.path("anthropic/messages_create.text_and_tool_use.response.json")
MODEL = "claude-sonnet-4-6"
HELLO: list[MessageParam] = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def server() -> Iterator[AnthropicEmulator]:
    with AnthropicEmulator(api_key="sk-ant-emulated") as emulator:
        yield emulator


@pytest.fixture
def claude(server: AnthropicEmulator) -> AnthropicEmulator:
    server.reset()
    return server


@pytest.fixture
async def client(claude: AnthropicEmulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(api_key="sk-ant-emulated", base_url=claude.url, max_retries=2) as sdk:
        yield sdk


def system_prompt(words: str, cache: bool = True) -> list[TextBlockParam]:
    block: TextBlockParam = {"type": "text", "text": words * 200}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return [block]


@pytest.mark.asyncio
async def test_a_recorded_response_round_trips(claude: AnthropicEmulator, client: anthropic.AsyncAnthropic) -> None:
    recorded: dict[str, Any] = json.loads(FIXTURE.read_text())
    claude.script([recorded])
    message = await client.messages.create(model=MODEL, max_tokens=1024, messages=HELLO)
    assert message.id == recorded["id"]
    assert message.model == recorded["model"]  # the scripted body wins over the request's model
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.usage.input_tokens == recorded["usage"]["input_tokens"]
    assert claude.bodies() == [{"model": MODEL, "max_tokens": 1024, "messages": HELLO}]


@pytest.mark.asyncio
async def test_scripted_text_and_tool_use(claude: AnthropicEmulator, client: anthropic.AsyncAnthropic) -> None:
    todos = {"todos": [{"content": "[Ops] check disk", "status": "pending"}]}
    claude.script([tool_use("update_todos", todos, text="Let me plan."), text("All done.")])
    first = await client.messages.create(model=MODEL, max_tokens=512, messages=HELLO)
    assert (first.model, first.stop_reason, first.id.startswith("msg_")) == (MODEL, "tool_use", True)
    call = first.content[1]
    assert isinstance(call, ToolUseBlock)
    assert (call.name, call.input) == ("update_todos", todos)
    assert first.usage.output_tokens > 0

    conversation: list[MessageParam] = [
        *HELLO,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "ok"}]},
    ]
    second = await client.messages.create(model=MODEL, max_tokens=512, messages=conversation)
    assert isinstance(second.content[0], TextBlock)
    assert (second.content[0].text, second.stop_reason) == ("All done.", "end_turn")
    assert claude.remaining == 0


@pytest.mark.asyncio
async def test_a_tool_use_without_its_result_is_refused(
    claude: AnthropicEmulator, client: anthropic.AsyncAnthropic
) -> None:
    claude.script([text("never sent")])
    dangling: list[MessageParam] = [
        *HELLO,
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "remember", "input": {}}]},
        {"role": "user", "content": "and?"},
    ]
    with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks") as caught:
        await client.messages.create(model=MODEL, max_tokens=512, messages=dangling)
    assert caught.value.status_code == 400
    assert claude.remaining == 1  # a refused request consumes nothing


def cache(message: Message) -> tuple[int, int]:
    """(tokens written to the cache, tokens read from it)."""
    return message.usage.cache_creation_input_tokens or 0, message.usage.cache_read_input_tokens or 0


@pytest.mark.asyncio
async def test_prompt_caching_is_reported_in_usage(claude: AnthropicEmulator, client: anthropic.AsyncAnthropic) -> None:
    claude.script([text("a"), text("b"), text("c"), text("d")])
    system = system_prompt("You are opsbot. ")
    first = await client.messages.create(model=MODEL, max_tokens=64, system=system, messages=HELLO)
    again = await client.messages.create(model=MODEL, max_tokens=64, system=system, messages=HELLO)
    written, _ = cache(first)
    assert written > 0
    assert cache(first) == (written, 0)
    assert cache(again) == (0, written)
    assert again.usage.input_tokens == first.usage.input_tokens  # only the uncached tail is billed as input
    changed_prompt = system_prompt("You are opsbot! ")
    changed = await client.messages.create(model=MODEL, max_tokens=64, system=changed_prompt, messages=HELLO)
    assert cache(changed)[1] == 0
    assert cache(changed)[0] > 0
    plain_prompt = system_prompt("Plain. ", cache=False)
    uncached = await client.messages.create(model=MODEL, max_tokens=64, system=plain_prompt, messages=HELLO)
    assert cache(uncached) == (0, 0)


@pytest.mark.asyncio
async def test_a_moving_breakpoint_reads_what_the_last_turn_wrote(
    claude: AnthropicEmulator, client: anthropic.AsyncAnthropic
) -> None:
    claude.script([text("a"), text("b")])
    system = system_prompt("You are opsbot. ")
    turn_one: list[MessageParam] = [
        {"role": "user", "content": [{"type": "text", "text": "first " * 50, "cache_control": {"type": "ephemeral"}}]}
    ]
    first = await client.messages.create(model=MODEL, max_tokens=64, system=system, messages=turn_one)
    turn_two: list[MessageParam] = [
        {"role": "user", "content": [{"type": "text", "text": "first " * 50}]},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": [{"type": "text", "text": "second", "cache_control": {"type": "ephemeral"}}]},
    ]
    second = await client.messages.create(model=MODEL, max_tokens=64, system=system, messages=turn_two)
    # Turn two finds turn one's prefix (its marker has moved on) and writes only what follows.
    written, read = cache(second)
    assert read == cache(first)[0]
    assert 0 < written < cache(first)[0]


@pytest.mark.asyncio
async def test_overloaded_is_retried_after_retry_after(
    claude: AnthropicEmulator, client: anthropic.AsyncAnthropic
) -> None:
    claude.script([api_error(529, retry_after=0.01), text("made it")])
    message = await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert isinstance(message.content[0], TextBlock)
    assert message.content[0].text == "made it"
    assert [r.status for r in claude.requests] == [529, 200]
    assert claude.requests[1].headers["x-stainless-retry-count"] == "1"


@pytest.mark.asyncio
async def test_errors_surface_with_the_apis_shape(claude: AnthropicEmulator) -> None:
    claude.script([api_error(529), api_error(429, retry_after=30)])
    async with anthropic.AsyncAnthropic(api_key="sk-ant-emulated", base_url=claude.url, max_retries=0) as once:
        with pytest.raises(anthropic.OverloadedError) as overloaded:
            await once.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
        body = overloaded.value.body
        assert isinstance(body, dict)
        assert (body["type"], body["error"]) == ("error", {"type": "overloaded_error", "message": "Overloaded"})
        assert body["request_id"].startswith("req_")
        with pytest.raises(anthropic.RateLimitError) as limited:
            await once.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
        assert limited.value.response.headers["retry-after"] == "30"


@pytest.mark.asyncio
async def test_fail_next_works_here_too(claude: AnthropicEmulator, client: anthropic.AsyncAnthropic) -> None:
    claude.script([text("after the blip")])
    claude.fail_next("POST", "/v1/messages", 500, headers={"retry-after-ms": "10"})
    message = await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert isinstance(message.content[0], TextBlock)
    assert message.content[0].text == "after the blip"
    assert claude.requests[0].fault


@pytest.mark.asyncio
async def test_streaming_and_an_exhausted_script_are_clear_400s(
    claude: AnthropicEmulator, client: anthropic.AsyncAnthropic
) -> None:
    claude.script([text("unused")])
    with pytest.raises(anthropic.BadRequestError, match="stream"):
        await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    with pytest.raises(anthropic.BadRequestError, match="script is exhausted"):
        await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert claude.errors == ["no scripted reply left for request 3"]


@pytest.mark.asyncio
async def test_authentication(claude: AnthropicEmulator) -> None:
    async with anthropic.AsyncAnthropic(api_key="sk-ant-wrong", base_url=claude.url, max_retries=0) as wrong:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await wrong.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    # The documented header works as well as the Bearer token this SDK release sends.
    claude.script([text("hi")])
    headers = {"x-api-key": "sk-ant-emulated", "anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient(base_url=claude.url) as raw:
        reply = await raw.post(
            "/v1/messages", headers=headers, json={"model": MODEL, "max_tokens": 8, "messages": HELLO}
        )
        missing = await raw.post("/v1/messages", headers=headers, json={"model": MODEL, "messages": HELLO})
    assert reply.json()["content"] == [{"type": "text", "text": "hi"}]
    assert (missing.status_code, missing.json()["error"]["message"]) == (400, "max_tokens: Field required")


@pytest.mark.asyncio
async def test_a_held_reply(claude: AnthropicEmulator, client: anthropic.AsyncAnthropic) -> None:
    claude.script([text("slow")])
    handle = claude.hold("POST", "/v1/messages")
    asking = asyncio.create_task(client.messages.create(model=MODEL, max_tokens=64, messages=HELLO))
    assert await handle.reached()
    assert claude.remaining == 0
    assert not asking.done()
    handle.release()
    assert (await asking).stop_reason == "end_turn"
