"""``handlers.slack_signature``: Slack's signature on raw bytes, and /slack/events refusing whatever isn't signed."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clients.slack_markup import escape
from handlers.slack_signature import SlackSignature
from tests import fixtures
from tests.handlers import hostile
from tests.harness import BotUnderTest, slack_headers, slash_command_body

VECTOR = fixtures.load("slack/signature_vector.json")
SIGNED_AT = float(VECTOR["timestamp"])


def vector_headers(timestamp: str, signature: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-slack-request-timestamp", timestamp.encode("utf-8", "surrogatepass")),
        (b"x-slack-signature", signature.encode("utf-8", "surrogatepass")),
    ]


def test_the_documented_vector_verifies_and_nothing_near_it_does() -> None:
    check = SlackSignature(VECTOR["secret"], clock=lambda: SIGNED_AT)
    body = VECTOR["payload"].encode()
    assert check.verifies(vector_headers(VECTOR["timestamp"], VECTOR["signature"]), body)
    assert not check.verifies(vector_headers(VECTOR["timestamp"], VECTOR["signature"]), body + b"x")
    late = SlackSignature(VECTOR["secret"], clock=lambda: SIGNED_AT + 301)
    assert not late.verifies(vector_headers(VECTOR["timestamp"], VECTOR["signature"]), body)


def test_a_repeated_header_is_not_a_signature() -> None:
    check = SlackSignature(VECTOR["secret"], clock=lambda: SIGNED_AT)
    headers = vector_headers(VECTOR["timestamp"], VECTOR["signature"])
    assert not check.verifies([*headers, headers[1]], VECTOR["payload"].encode())


@settings(max_examples=300, deadline=None)
@given(
    timestamp=st.one_of(st.text(max_size=20), st.just("²" * 3), st.just("9" * 5000), st.just(VECTOR["timestamp"])),
    signature=st.one_of(st.text(max_size=70), st.just("v0=é" + "a" * 63), st.just(VECTOR["signature"])),
    body=st.one_of(st.binary(max_size=200), st.just(b"\xff\xfe\x00payload")),
)
def test_any_timestamp_signature_and_body_gives_an_answer_not_an_error(
    timestamp: str, signature: str, body: bytes
) -> None:
    check = SlackSignature(VECTOR["secret"], clock=lambda: SIGNED_AT)
    genuine = (timestamp, signature, body) == (VECTOR["timestamp"], VECTOR["signature"], VECTOR["payload"].encode())
    assert check.verifies(vector_headers(timestamp, signature), body) is genuine


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
UNSIGNED_HEADERS = ["x-slack-request-timestamp", "x-slack-signature", "content-type", "content-encoding"]


@PROPERTY
@given(body=hostile.BODIES, headers=hostile.header_lists(UNSIGNED_HEADERS))
async def test_any_unsigned_bytes_and_headers_are_401(
    bot: BotUnderTest, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401, response.text


async def test_odd_timestamps_that_once_raised_are_401(bot: BotUnderTest) -> None:
    body = b"command=%2Fops&text=status"
    for timestamp in ("²²²²²²²²²²", "9" * 5000, "١٧٠٠٠٠٠٠٠٠", " 1700000000"):
        signed = slack_headers(body, "application/x-www-form-urlencoded")
        headers = [(k.encode(), v.encode()) for k, v in signed.items() if k != "x-slack-request-timestamp"]
        headers.append((b"x-slack-request-timestamp", timestamp.encode()))
        response = await bot.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401, timestamp


async def test_a_signed_body_that_is_not_utf8_or_nested_too_deeply_is_400(bot: BotUnderTest) -> None:
    for body, content_type in (
        (b"\xff\xfe{}", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ):
        response = await bot.slack(body, content_type)
        assert response.status_code == 400, response.text


PRINTABLE = st.text(st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=60)


@PROPERTY
@given(text=PRINTABLE, channel_name=st.one_of(PRINTABLE, st.just("payload-team")), user_name=PRINTABLE)
async def test_any_command_text_channel_and_user_name_reach_the_parser_unchanged(
    bot: BotUnderTest, text: str, channel_name: str, user_name: str
) -> None:
    # "payload" anywhere in the form once made it look like an interactivity payload.
    text = f"why is the webhook payload empty? {text}".strip()
    fields = parse_qsl(slash_command_body(text).decode())
    body = urlencode(
        [(k, {"channel_name": channel_name, "user_name": user_name}.get(k, v)) for k, v in fields]
    ).encode()
    response = await bot.slack(body)
    assert response.status_code == 200, response.text
    assert response.text == "On it: `/ops " + escape(text) + "`"
    (delivery,) = await bot.runtime.queue.take("test", count=10, wait=0)
    await bot.runtime.queue.complete(delivery)
    assert delivery.job.payload["text"] == text


FIELDS = ["channel", "ts", "user", "text", "thread_ts", "subtype", "bot_id", "parent_user_id"]
EVENT_TYPES = st.sampled_from(["app_mention", "message", "reaction_added"])


@PROPERTY
@given(kind=EVENT_TYPES, event=st.dictionaries(st.sampled_from(FIELDS), hostile.JSON, max_size=6), top=hostile.JSON)
async def test_any_signed_event_shape_is_2xx_or_400(
    bot: BotUnderTest, kind: str, event: dict[str, object], top: object
) -> None:
    for document in ({"type": "event_callback", "event_id": "Ev1", "event": {"type": kind, **event}}, top):
        response = await bot.slack(json.dumps(document).encode(), "application/json")
        assert response.status_code in (200, 400), response.text


@PROPERTY
@given(user=hostile.JSON, actions=hostile.JSON, channel=hostile.JSON)
async def test_any_signed_click_shape_is_2xx_or_400(
    bot: BotUnderTest, user: object, actions: object, channel: object
) -> None:
    payload = {"type": "block_actions", "user": user, "actions": actions, "channel": channel, "trigger_id": "t"}
    response = await bot.slack(urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code in (200, 400), response.text


async def test_a_mention_without_its_channel_is_400_with_one_line(bot: BotUnderTest) -> None:
    event = {"type": "event_callback", "event": {"type": "app_mention", "user": "U1", "ts": "1.2", "text": "hi"}}
    response = await bot.slack(json.dumps(event).encode(), "application/json")
    assert response.status_code == 400
    reason = response.json()["message"]
    assert "channel" in reason
    assert "\n" not in reason
