"""Alertmanager notifications over the real HTTP app, Redis and the Slack emulator.

One Slack message per alert group, in the channel the routes pick (tests/ops.test.yaml:
``service=api`` → C_API, else C_ALERTS), edited in place; re-sends change nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck, given, settings

from tests import alert_payloads
from tests.bot.alerts.builders import alert
from tests.handlers import hostile
from tests.harness import BotUnderTest, Emulators, bot_env

TOKEN = "am-token-for-tests"
ROUTE = "/alertmanager/webhook"
ENDED = "2023-02-06T14:00:00Z"


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    for channel in ("C_API", "C_ALERTS"):
        emulators.slack.add_channel(channel.lower(), channel_id=channel)
    emulators.github.add_repo("acme/ops")  # the example alert is critical: its incident's tracking issue
    async with BotUnderTest(bot_env(redis_url, emulators, ALERTMANAGER_WEBHOOK_TOKEN=TOKEN)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


def payload(*alerts: dict[str, Any], **fields: Any) -> bytes:
    document = alert_payloads.load(alert_payloads.ALERTMANAGER)
    document["alerts"] = list(alerts)
    document["commonLabels"] = {**document["commonLabels"], "service": "api"}
    document["status"] = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    document.update(fields)
    return json.dumps(document).encode()


async def notify(bot: BotUnderTest, body: bytes, token: str | None = TOKEN) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return await bot.http.post(ROUTE, content=body, headers=headers)


def updates(emulators: Emulators) -> int:
    return len(emulators.slack.requests_to("POST", r"/chat\.update$"))


def top_level(emulators: Emulators, channel: str) -> list[dict[str, Any]]:
    return [m for m in emulators.slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]


def replies(emulators: Emulators, channel: str, ts: str) -> list[dict[str, Any]]:
    """The group's threaded notes (not the announcement of the incident the critical example opens)."""
    return [
        m
        for m in emulators.slack.messages(channel)
        if m.get("thread_ts") == ts and m["ts"] != ts and not m["text"].startswith("🚨 Incident declared")
    ]


async def test_a_group_is_one_message_edited_in_place(bot: BotUnderTest, emulators: Emulators) -> None:
    first = await notify(bot, payload(alert("a")))
    assert first.status_code == 202, first.text
    await bot.run_jobs()
    [message] = top_level(emulators, "C_API")
    assert "FIRING: 1" in message["text"]
    assert "<http://prometheus.example.org:9090/graph?" in message["text"]
    assert "|Alertmanager>" in message["text"]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    # No ALERTMANAGER_URL here, so nothing to silence with: no Silence buttons.
    assert [e["text"]["text"] for e in actions["elements"]] == ["Declare incident", "Ask the Ops agent"]
    assert top_level(emulators, "C_ALERTS") == []
    edits = updates(emulators)

    # repeat_interval: the same notification again is dropped at the door; nothing is edited.
    again = await notify(bot, payload(alert("a")))
    assert again.status_code == 200
    assert again.json()["message"] == "already received"
    await bot.queue_drained(timeout=1)  # nothing was queued
    assert updates(emulators) == edits
    assert len(top_level(emulators, "C_API")) == 1

    # A second alert joins: the message is edited and one note goes to its thread.
    joined = payload(alert("a"), alert("b", annotations={"summary": "host b is down"}))
    assert (await notify(bot, joined)).status_code == 202
    await bot.run_jobs()
    [message] = top_level(emulators, "C_API")
    assert "FIRING: 2" in message["text"]
    assert updates(emulators) == edits + 1
    assert [r["text"] for r in replies(emulators, "C_API", message["ts"])] == ["🔥 Now firing: host b is down"]
    assert (await notify(bot, joined)).status_code == 200  # redelivered: nothing doubled
    await bot.queue_drained(timeout=1)
    assert len(replies(emulators, "C_API", message["ts"])) == 1

    # Everything resolves: the message says so, and its buttons go.
    resolved = payload(alert("a", status="resolved", ends=ENDED), alert("b", status="resolved", ends=ENDED))
    assert (await notify(bot, resolved)).status_code == 202
    await bot.run_jobs()
    [message] = top_level(emulators, "C_API")
    assert "RESOLVED" in message["text"]
    assert "blocks" not in message
    assert len(replies(emulators, "C_API", message["ts"])) == 1


async def test_grafanas_notification_is_taken_on_the_same_route(bot: BotUnderTest, emulators: Emulators) -> None:
    response = await notify(bot, alert_payloads.body(alert_payloads.GRAFANA))
    assert response.status_code == 202, response.text
    await bot.run_jobs()
    [message] = top_level(emulators, "C_ALERTS")
    assert "High CPU usage, High memory usage" in message["text"]
    assert message["text"].count("|Runbook>") == 2


@pytest.mark.parametrize("token", [None, "wrong-token", TOKEN + "x", f"{TOKEN} "])
async def test_a_missing_or_wrong_token_is_401(bot: BotUnderTest, emulators: Emulators, token: str | None) -> None:
    response = await notify(bot, payload(alert("a")), token=token)
    assert response.status_code == 401
    basic = await bot.http.post(ROUTE, content=payload(alert("a")), headers={"authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    await bot.queue_drained(timeout=1)  # nothing was queued


async def test_the_door_answers_413_and_400_as_the_other_routes(bot: BotUnderTest) -> None:
    assert (await notify(bot, b"{" + b" " * (1024 * 1024) + b"}")).status_code == 413
    for body in (b"not json", payload(alert("a"), version="3"), payload(alert("a"), groupKey=7)):
        response = await notify(bot, body)
        assert response.status_code == 400, body[:60]
        assert "malformed notification" in response.json()["message"]


async def test_without_a_token_configured_the_route_is_404(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    async with BotUnderTest(bot_env(redis_url, emulators)) as unconfigured:
        response = await notify(unconfigured, payload(alert("a")))
    assert response.status_code == 404


async def test_the_token_never_reaches_the_logs(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await notify(bot, payload(alert("a")), token="a-guess-at-the-token")
    await notify(bot, payload(alert("a")))
    await bot.run_jobs()
    assert TOKEN not in caplog.text
    assert "a-guess-at-the-token" not in caplog.text


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(body=hostile.BODIES | hostile.JSON.map(lambda d: json.dumps(d).encode()))
async def test_any_body_with_the_token_is_2xx_or_400(bot: BotUnderTest, body: bytes) -> None:
    response = await notify(bot, body)
    assert response.status_code in (200, 202, 400), response.text


@PROPERTY
@given(headers=hostile.header_lists(["authorization", "content-type"]))
async def test_any_headers_without_the_token_are_401(bot: BotUnderTest, headers: list[tuple[bytes, bytes]]) -> None:
    response = await bot.http.post(ROUTE, content=payload(alert("a")), headers=headers)
    assert response.status_code == 401, response.text
