"""The door every webhook shares: a body that never completes, Content-Length that lies,
headers repeated or unreadable. Driven as a server drives the app, over raw ASGI."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.web import MAX_BODY
from tests.harness import BotUnderTest, github_headers

ROUTES = ("/github/webhook", "/gitlab/webhook")
Message = dict[str, Any]


async def asgi_post(
    bot: BotUnderTest, path: str, headers: Sequence[tuple[bytes, bytes]], chunks: Sequence[bytes], complete: bool
) -> list[Message]:
    """POST ``chunks`` as the server would pass them; when not ``complete`` the
    client then disconnects. Returns what the app sent back."""
    incoming: list[Message] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    if complete:
        incoming.append({"type": "http.request", "body": b"", "more_body": False})
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": list(headers),
        "client": ("127.0.0.1", 40000),
        "server": ("opsbot.test", 80),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await bot.app(scope, receive, send)
    return sent


def status_of(sent: list[Message]) -> int:
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1
    status: int = starts[0]["status"]
    return status


@pytest.mark.parametrize("path", ROUTES)
async def test_a_client_gone_mid_body_leaves_one_info_line_and_no_traceback(
    bot: BotUnderTest, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"zen": "half of it"}'
    headers = [(k.encode(), v.encode()) for k, v in github_headers(body, "ping").items()]
    headers.append((b"content-length", b"1000"))
    with caplog.at_level(logging.DEBUG):
        sent = await asgi_post(bot, path, headers, [body[:5]], complete=False)
    assert status_of(sent) < 500
    records = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(("handlers", "bot"))]
    assert [r.getMessage() for r in records] == ["request body incomplete: the client disconnected or was too slow"]
    assert all(r.exc_info is None for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert (await bot.runtime.queue.depth()).ready == 0


LENGTHS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet="0123456789 -+,.xe\u0660\u00b2", max_size=30),
    st.just("9" * 5000),  # int() of this many digits raises on its own
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(ROUTES),
    lengths=st.lists(LENGTHS, max_size=3),
    chunks=st.lists(st.binary(max_size=64), max_size=4),
    complete=st.booleans(),
)
async def test_content_length_lies_never_reach_a_5xx(
    bot: BotUnderTest, path: str, lengths: list[str], chunks: list[bytes], complete: bool
) -> None:
    headers = [(b"content-length", value.encode()) for value in lengths]
    sent = await asgi_post(bot, path, headers, chunks, complete)
    status = status_of(sent)
    assert status in (400, 401, 413), status
    if status == 413:  # only a single plain number over the limit refuses before reading
        (declared,) = (v.strip().lstrip("0") for v in lengths)
        assert declared.isascii()
        assert declared.isdigit()
        assert len(declared) > len(str(MAX_BODY)) or int(declared) > MAX_BODY


async def test_a_body_over_the_limit_is_413_even_when_content_length_says_less(bot: BotUnderTest) -> None:
    headers = [(b"content-length", b"10")]
    sent = await asgi_post(bot, "/github/webhook", headers, [b"x" * (MAX_BODY // 2)] * 3, complete=True)
    assert status_of(sent) == 413


async def test_a_repeated_signature_is_not_a_signature(bot: BotUnderTest) -> None:
    body = b'{"zen": "twice"}'
    good = github_headers(body, "ping")
    headers = [(k.encode(), v.encode()) for k, v in good.items()]
    assert status_of(await asgi_post(bot, "/github/webhook", headers, [body], complete=True)) == 200
    headers.append((b"x-hub-signature-256", good["x-hub-signature-256"].encode()))
    assert status_of(await asgi_post(bot, "/github/webhook", headers, [body], complete=True)) == 401
