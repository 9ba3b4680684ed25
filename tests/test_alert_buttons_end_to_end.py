"""The alert message's Silence button against the real Prometheus and Alertmanager, the Slack
emulator, Redis and the real HTTP app: a rule fires, one message; an allowed click silences the
group in Alertmanager, anyone else's does not; the rule resolves while silenced (Alertmanager
notifies nothing) and reconciling shows the message resolved."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis.asyncio as redis

from bot.alerts.actions import RECONCILE_EVERY
from bot.alerts.render import SILENCE_1H_ACTION
from tests import fixtures
from tests.alerting_servers import DOWN, AlertingServers, app_target
from tests.harness import BotUnderTest, Emulators, bot_env

pytestmark = pytest.mark.needs_alerting


class ShiftedClock:
    """Real time, moved on by the test to bring the reconcile job due."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def bot(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, alerting: AlertingServers
) -> AsyncIterator[tuple[BotUnderTest, ShiftedClock]]:
    for channel in ("C_API", "C_ALERTS"):
        emulators.slack.add_channel(channel.lower(), channel_id=channel)
    clock = ShiftedClock()
    env = bot_env(
        redis_url,
        emulators,
        ALERTMANAGER_WEBHOOK_TOKEN=alerting.webhook_token,
        ALERTMANAGER_URL=alerting.alertmanager_url,
    )
    async with BotUnderTest(env, clock=clock) as running:
        yield running, clock
    assert not emulators.errors, "an emulator failed"


def click_body(message: dict[str, Any], user: str, trigger: str) -> bytes:
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    [button] = [e for e in actions["elements"] if e["action_id"] == SILENCE_1H_ACTION]
    click = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
    click["user"]["id"] = user
    click["trigger_id"] = trigger
    click["channel"] = {"id": "C_API", "name": "c_api"}
    click["message"] = {"type": "message", "ts": message["ts"], "text": message["text"]}
    click["actions"][0].update(action_id=SILENCE_1H_ACTION, value=button["value"], type="button")
    return f"payload={quote(json.dumps(click))}".encode()


async def until(bot: BotUnderTest, done: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await bot.run_jobs(timeout=5)
        await asyncio.sleep(0.2)


async def test_silence_from_slack_and_reconcile_while_silenced(
    bot: tuple[BotUnderTest, ShiftedClock], emulators: Emulators, alerting: AlertingServers
) -> None:
    running, clock = bot
    test_id = alerting.new_test_id()
    labels = {"test_id": test_id, "service": "api", "pod": "a"}
    alerting.relay.route_to(test_id, app_target(running.http, asyncio.get_running_loop()))
    am = httpx.AsyncClient(base_url=alerting.alertmanager_url)
    try:
        alerting.exporter.set(DOWN, labels, 0)

        def ours() -> list[dict[str, Any]]:
            return [
                m
                for m in emulators.slack.messages("C_API")
                if test_id in m["text"] and m.get("thread_ts") in (None, m["ts"])
            ]

        async def posted() -> bool:
            return bool(ours())

        await until(running, posted, "the alert message")
        [message] = ours()
        assert "FIRING: 1" in message["text"]
        [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
        assert [e["text"]["text"] for e in actions["elements"]] == [
            "Silence 1h", "Silence 4h", "Declare incident", "Ask the Ops agent",
        ]  # fmt: skip

        async def silences() -> list[dict[str, Any]]:
            found = (await am.get("/api/v2/silences")).json()
            return [s for s in found if any(m["value"] == test_id for m in s["matchers"])]

        # Someone who isn't a silencer: refused, nothing made in Alertmanager.
        assert (await running.slack(click_body(message, "U_STRANGER", f"t-{test_id}-1"))).status_code == 200
        await running.run_jobs()
        assert await silences() == []

        # A deployer (tests/ops.test.yaml): one silence on the group's labels.
        assert (await running.slack(click_body(message, "U_ALICE", f"t-{test_id}-2"))).status_code == 200
        await running.run_jobs()
        [silence] = await silences()
        assert silence["createdBy"] == "U_ALICE"
        assert silence["comment"].startswith(f"opsbot alert message C_API/{message['ts']}: ")
        assert {(m["name"], m["value"], m["isEqual"], m["isRegex"]) for m in silence["matchers"]} >= {
            ("test_id", test_id, True, False),
            ("service", "api", True, False),
        }
        [message] = ours()
        assert "Silenced by" in message["text"]

        # The rule resolves while silenced: Alertmanager notifies nothing, the reconcile sees it.
        alerting.exporter.set(DOWN, labels, 1)

        async def gone() -> bool:
            held: list[Any] = (await am.get("/api/v2/alerts", params={"filter": f'test_id="{test_id}"'})).json()
            return held == []

        await until(running, gone, "the alert to resolve in Alertmanager")
        clock.offset += RECONCILE_EVERY + 1
        await running.run_jobs()
        [message] = ours()
        assert "RESOLVED" in message["text"]
    finally:
        await am.aclose()
        alerting.relay.unroute(test_id)
        alerting.exporter.remove(DOWN, labels)
