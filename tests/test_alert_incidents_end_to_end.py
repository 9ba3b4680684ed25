"""An incident an alert group opens, over the Slack, GitHub and Anthropic emulators and Redis.

The alerts feature calls these operations through the composition root's
``Runtime.incidents``; the first tests call them as that job does, against the
app as built for production. The last lets a real Prometheus rule fire and
resolve through the real Alertmanager (tests/alerting_servers.py) into the app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
import redis.asyncio as redis

from bot.model import SlackThread
from tests.alerting_servers import CRITICAL_ALERT, CRITICAL_DOWN, REPEAT_INTERVAL, AlertingServers, app_target
from tests.emulators import text
from tests.harness import BotUnderTest, Emulators, bot_env, event_callback

OPS = "acme/ops"
JSON = "application/json"
TODAY = time.strftime("%Y%m%d", time.gmtime())
GROUP = '{}/{severity="critical"}:{alertname="ApiDown"}'
TAKE = "take it with `/ops incident commander @your-name`"


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    emulators.github.add_repo(OPS)
    emulators.slack.add_user("U_BOB", "bob")
    async with BotUnderTest(bot_env(redis_url, emulators, agent=True)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


def mine(emulators: Emulators, channel: str) -> list[dict[str, Any]]:
    return [m for m in emulators.slack.messages(channel) if m.get("user") == emulators.slack.bot_user_id]


def comments(emulators: Emulators, number: int) -> list[str]:
    return [c["body"] for c in emulators.github.comments(OPS, number)]


async def test_an_alert_group_opens_one_incident_that_hears_of_its_alerts(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    alert_ts = emulators.slack.add_message("C_ALERTS", "🔥 ApiDown firing", user=emulators.slack.bot_user_id)
    alert_thread = SlackThread("C_ALERTS", alert_ts)
    incidents = bot.runtime.incidents

    # Declared twice (a redelivered notification): one channel, one issue, one announcement in the alert's thread.
    first = await incidents.declare_for_alerts(GROUP, "ApiDown: api is down", 1, alert_thread)
    again = await incidents.declare_for_alerts(GROUP, "ApiDown: api is down", 1, alert_thread)
    assert again == first
    rooms = [cid for cid, c in emulators.slack.channels.items() if c["name"].startswith(f"inc-{TODAY}-apidown")]
    assert rooms == [first.channel]
    room = str(first.channel)
    issues = [i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]
    assert [i["title"] for i in issues] == ["[Incident] sev1: ApiDown: api is down"]
    [announced] = [m for m in mine(emulators, "C_ALERTS") if m["text"].startswith("🚨 Incident declared")]
    assert announced.get("thread_ts") == alert_ts
    assert f"<#{room}>" in announced["text"]
    assert f"no commander yet: {TAKE}" in announced["text"]
    [summary] = mine(emulators, room)
    assert f"Commander: nobody yet ({TAKE})" in summary["text"]
    assert emulators.slack.pins(room) == [summary["ts"]]

    # News of its alerts, once per key, in the channel and on the tracking issue; labels can't ping.
    news = "ApiDown is firing on api-2 <!channel> as well"
    assert await incidents.alert_news(first.id, f"{GROUP}:fp2:firing", news) is True
    assert await incidents.alert_news(first.id, f"{GROUP}:fp2:firing", news) is False
    told = [m["text"] for m in mine(emulators, room) if "api-2" in m["text"]]
    assert told == ["🔔 ApiDown is firing on api-2 &lt;!channel&gt; as well"]
    on_issue = [c for c in comments(emulators, issues[0]["number"]) if "api-2" in c]
    assert len(on_issue) == 1
    assert on_issue[0].startswith("**alert** by opsbot: ")

    assert await incidents.alerts_all_resolved(first.id, f"{GROUP}:resolved-1") is True
    [resolved] = [m["text"] for m in mine(emulators, room) if "has resolved" in m["text"]]
    assert "stays open" in resolved

    found = await incidents.timeline_of(SlackThread(room))
    assert found is not None
    assert [(e.kind, e.who) for e in found[1]] == [("declared", "opsbot"), ("alert", "opsbot"), ("alert", "opsbot")]

    # The agent asked in the channel sees the alerts: the timeline's news and what they show now.
    async def current_alerts(groups: Sequence[str]) -> str:
        assert list(groups) == [GROUP]
        return "ApiDown: 1 firing (api-2), 1 resolved (api-1)"

    incidents._s.current_alerts = current_alerts  # as the composition root wires the alerts feature's reader
    emulators.anthropic.script([text("**Summary**: api-2 still down.\n**Approach**: Read the alerts.")])
    ask = f"<@{emulators.slack.bot_user_id}> what is still firing?"
    ts = emulators.slack.add_message(room, ask, user="U_BOB")
    await bot.slack(
        event_callback({"type": "app_mention", "user": "U_BOB", "text": ask, "ts": ts, "channel": room}), JSON
    )
    await bot.run_jobs()
    briefing = emulators.anthropic.bodies()[0]["messages"][0]["content"][0]["text"]
    assert "ApiDown is firing on api-2" in briefing
    assert "Every alert linked to this incident has resolved" in briefing
    assert "ApiDown: 1 firing (api-2), 1 resolved (api-1)" in briefing


async def test_whoever_clicks_declare_on_an_alert_commands_its_incident(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    alert_ts = emulators.slack.add_message("C_ALERTS", "🔥 DiskFull firing", user=emulators.slack.bot_user_id)
    group = '{}:{alertname="DiskFull"}'
    incident = await bot.runtime.incidents.declare_for_alerts(
        group, "DiskFull on db-1", 2, SlackThread("C_ALERTS", alert_ts), "U_BOB"
    )
    room = str(incident.channel)
    assert "U_BOB" in emulators.slack.channels[room]["members"]
    [summary] = mine(emulators, room)
    assert "Commander: <@U_BOB>" in summary["text"]
    [announced] = [m for m in mine(emulators, "C_ALERTS") if m["text"].startswith("🚨 Incident declared")]
    assert announced["text"].endswith("commander <@U_BOB>")


async def settle(bot: BotUnderTest, done: Callable[[], bool], what: str, timeout: float = 25.0) -> None:
    """Run the worker, keeping the loop free for the relay's deliveries, until ``done``."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await bot.run_jobs()
        await asyncio.sleep(0.1)


async def test_a_real_critical_rule_opens_one_incident_that_hears_of_its_alerts(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, alerting: AlertingServers
) -> None:
    emulators.github.add_repo(OPS)
    emulators.slack.add_channel("c_api", channel_id="C_API")
    test_id = alerting.new_test_id()
    pods = [{"test_id": test_id, "service": "api", "pod": pod} for pod in ("api-0", "api-1")]
    emulators.slack.add_user("U_BOB", "bob")
    env = bot_env(redis_url, emulators, agent=True, ALERTMANAGER_WEBHOOK_TOKEN=alerting.webhook_token)
    async with BotUnderTest(env) as bot:
        alerting.relay.route_to(test_id, app_target(bot.http, asyncio.get_running_loop()))
        try:

            def rooms() -> list[str]:
                return [cid for cid, c in emulators.slack.channels.items() if c["name"].startswith("inc-")]

            def told(room: str, words: str) -> list[str]:
                return [m["text"] for m in mine(emulators, room) if m["text"].startswith("🔔") and words in m["text"]]

            alerting.exporter.set(CRITICAL_DOWN, pods[0], 0)
            await settle(bot, lambda: bool(rooms()) and bool(told(rooms()[0], "api-0")), "the incident")
            [room] = rooms()
            assert emulators.slack.channels[room]["name"].startswith(f"inc-{TODAY}-opsbottestcriticaldown")
            issues = [i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]
            assert [i["title"] for i in issues] == [f"[Incident] sev1: {CRITICAL_ALERT}: api is down hard"]

            # A second alert joins the group: the incident hears of it; re-sends add nothing.
            alerting.exporter.set(CRITICAL_DOWN, pods[1], 0)
            await settle(bot, lambda: bool(told(room, "api-1")), "news of the second alert")
            await asyncio.sleep(REPEAT_INTERVAL + 1)
            await bot.run_jobs()

            for pod in pods:
                alerting.exporter.set(CRITICAL_DOWN, pod, 1)
            await settle(bot, lambda: bool(told(room, "has resolved")), "every alert resolved")
        finally:
            alerting.relay.unroute(test_id)
            for pod in pods:
                alerting.exporter.remove(CRITICAL_DOWN, pod)

        assert rooms() == [room]  # one incident however often Alertmanager sent the group
        assert len([i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]) == 1
        assert len(told(room, "api-0")) >= 1
        assert len(told(room, "api-1")) >= 1
        assert len(told(room, "Every alert linked to this incident has resolved")) == 1
        news = [m["text"] for m in mine(emulators, room) if m["text"].startswith("🔔")]
        assert len(news) == len(set(news)), news  # each change once
        found = await bot.runtime.incidents.timeline_of(SlackThread(room))
        assert found is not None
        incident, timeline = found
        assert incident.status == "open"  # the commander still resolves
        alert_events = [e.text for e in timeline if e.kind == "alert"]
        assert len(alert_events) == len(news)
        assert any("has resolved" in text for text in alert_events)
        on_issue = [c for c in comments(emulators, issues[0]["number"]) if c.startswith("**alert** by opsbot")]
        assert len(on_issue) == len(news)
        # The group's message in its routed channel names the incident.
        [message] = [m for m in mine(emulators, "C_API") if m.get("thread_ts") in (None, m["ts"])]
        assert incident.id in message["text"]

        # The Ops agent asked in the incident channel sees what its alert group shows now, from the store.
        emulators.anthropic.script([text("**Summary**: all resolved.\n**Approach**: Read the alerts.")])
        ask = f"<@{emulators.slack.bot_user_id}> what is still firing?"
        ts = emulators.slack.add_message(room, ask, user="U_BOB")
        await bot.slack(
            event_callback({"type": "app_mention", "user": "U_BOB", "text": ask, "ts": ts, "channel": room}), JSON
        )
        await bot.run_jobs()
        briefing = emulators.anthropic.bodies()[0]["messages"][0]["content"][0]["text"]
        assert f"Alert group {CRITICAL_ALERT}" in briefing
        assert "RESOLVED" in briefing
        assert "resolved: OpsbotTestCriticalDown — api is down hard" in briefing
        assert "pod=api-1" in briefing
    assert not emulators.errors, "an emulator failed"
