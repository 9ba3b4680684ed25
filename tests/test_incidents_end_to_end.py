"""Incidents from declaration to review, over the Slack, GitHub and Anthropic emulators.

Time is a clock the test moves: reminders are delayed jobs in Redis that come
due on that clock, and they are still there for a worker started afresh.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from bot.model import ChatMessage, Person, SlackThread
from tests import fixtures
from tests.emulators import text, tool_use
from tests.harness import BotUnderTest, Emulators, bot_env, event_callback, slash_command_body

OPS = "acme/ops"
API = "acme/api"
MAIN_SHA = "a" * 40
JSON = "application/json"
TODAY = time.strftime("%Y%m%d", time.gmtime())


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


@pytest.fixture
def clock() -> Clock:
    return Clock()


def env(redis_url: str, emulators: Emulators) -> dict[str, str]:
    return bot_env(redis_url, emulators, agent=True)


@pytest.fixture
async def bot(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, clock: Clock
) -> AsyncIterator[BotUnderTest]:
    emulators.github.add_repo(OPS)
    emulators.github.add_repo(API, branches={"main": MAIN_SHA})
    for user, name in (("U_ALICE", "alice"), ("U_BOB", "bob"), ("U_CAROL", "carol")):
        emulators.slack.add_user(user, name)
    async with BotUnderTest(env(redis_url, emulators), clock=clock) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


async def ops(bot: BotUnderTest, words: str, channel: str = "C_OPS", user: str = "U_ALICE") -> None:
    await bot.slack(slash_command_body(words, user=user, channel=channel))
    await bot.run_jobs()


def mine(emulators: Emulators, channel: str) -> list[dict[str, Any]]:
    return [m for m in emulators.slack.messages(channel) if m.get("user") == emulators.slack.bot_user_id]


def channel_named(emulators: Emulators, name: str) -> str:
    [cid] = [cid for cid, c in emulators.slack.channels.items() if c["name"] == name]
    return cid


def incident_issues(emulators: Emulators) -> list[dict[str, Any]]:
    return [i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]


def comments(emulators: Emulators, number: int) -> list[str]:
    return [c["body"] for c in emulators.github.comments(OPS, number)]


async def declare(bot: BotUnderTest, emulators: Emulators, title: str, sev: int = 1) -> str:
    await ops(bot, f"incident declare {title} --sev {sev}")
    slug = "-".join(title.lower().split())
    return channel_named(emulators, f"inc-{TODAY}-{slug}")


async def test_the_whole_lifecycle(bot: BotUnderTest, emulators: Emulators, clock: Clock) -> None:
    room = await declare(bot, emulators, "Checkout is down", sev=1)

    # Declared: the channel, the declarer in it, a pinned summary, a tracking issue, an announcement.
    assert "U_ALICE" in emulators.slack.channels[room]["members"]
    [summary] = mine(emulators, room)
    assert emulators.slack.pins(room) == [summary["ts"]]
    assert "Checkout is down" in summary["text"]
    assert "sev1" in summary["text"]
    assert "Commander: <@U_ALICE>" in summary["text"]
    [issue] = incident_issues(emulators)
    assert issue["title"] == "[Incident] sev1: Checkout is down"
    assert sorted(issue["labels"]) == ["incident", "sev1"]
    assert f"{OPS}#{issue['number']}" in summary["text"]
    announced = [m["text"] for m in mine(emulators, "C_OPS")]
    assert any(t.startswith("🚨 Incident declared: *Checkout is down* (sev1)") and room in t for t in announced)

    # A new commander; the pinned summary says so.
    await ops(bot, "incident commander <@U_BOB|bob>", channel=room)
    assert "Commander: <@U_BOB>" in mine(emulators, room)[0]["text"], [m["text"] for m in mine(emulators, room)]

    # An update: in the channel, on the timeline, on the tracking issue.
    await ops(bot, "incident update we're failing over the database", channel=room)
    assert any(
        "Status update" in m["text"] and "we're failing over the database" in m["text"] for m in mine(emulators, room)
    )
    assert any("we're failing over the database" in c for c in comments(emulators, issue["number"])), comments(
        emulators, issue["number"]
    )

    # Slack doesn't deliver slash commands from threads: a mention in a thread does the same.
    said = f"<@{emulators.slack.bot_user_id}> incident update failover done, error rate falling"
    thread = emulators.slack.add_message(room, "status?", user="U_CAROL")
    mention = {"type": "app_mention", "user": "U_CAROL", "text": said, "ts": emulators.slack.add_message(
        room, said, user="U_CAROL", thread_ts=thread), "thread_ts": thread, "channel": room}  # fmt: skip
    await bot.slack(event_callback(mention), JSON)
    await bot.run_jobs()
    assert any("failover done, error rate falling" in c for c in comments(emulators, issue["number"]))

    # A deploy anywhere during the incident is announced in its channel.
    await ops(bot, "deploy api to staging", user="U_BOB")
    assert any("api" in m["text"] and "staging" in m["text"] for m in mine(emulators, room)[1:])

    # The agent, asked in the channel, reads the timeline as data; its todos go to the tracking issue.
    emulators.anthropic.script(
        [
            tool_use(
                "update_todos",
                {
                    "todos": [
                        {"content": "Confirm error rate is back to baseline", "status": "in_progress"},
                        {"content": "Re-enable writes", "status": "blocked", "blocked_reason": "DBA sign-off"},
                    ]
                },
            ),
            text("**Summary**: Failover done; errors falling.\n**Approach**: Read the timeline.\n**Remember**: null"),
        ]
    )
    ask = f"<@{emulators.slack.bot_user_id}> summarize"
    ts = emulators.slack.add_message(room, ask, user="U_BOB")
    await bot.slack(
        event_callback({"type": "app_mention", "user": "U_BOB", "text": ask, "ts": ts, "channel": room}), JSON
    )
    await bot.run_jobs()
    briefing = emulators.anthropic.bodies()[0]["messages"][0]["content"][0]["text"]
    assert 'kind="incident"' in briefing
    assert "we're failing over the database" in briefing
    assert "failover done, error rate falling" in briefing
    tracking = [c for c in comments(emulators, issue["number"]) if "<!-- opsbot:todos -->" in c]
    assert len(tracking) == 1
    assert "- [ ] [Ops] Re-enable writes (BLOCKED - DBA sign-off)" in tracking[0]

    # Resolve: posted, the issue closed with the timeline, the agent's review drafted on it.
    emulators.anthropic.script(
        [text("## Summary\nCheckout failed for 20 minutes.\n## Action items\n- [Ops] Alert on pool")]
    )
    clock.advance(20)
    await ops(bot, "incident resolve failover to the replica fixed it", channel=room)
    assert any(m["text"].startswith("✅ *Resolved* by <@U_ALICE>") for m in mine(emulators, room))
    assert emulators.github.issue(OPS, issue["number"])["state"] == "closed"
    on_issue = comments(emulators, issue["number"])
    [timeline] = [c for c in on_issue if c.startswith("**Resolved.** Timeline:")]
    for step in ("declared", "commander", "update", "deploy", "resolved"):
        assert f"· {step} ·" in timeline
    [review] = [c for c in on_issue if c.startswith("**Post-incident review (draft by the Ops agent)**")]
    assert "Checkout failed for 20 minutes." in review
    assert 'kind="incident"' in emulators.anthropic.bodies()[-1]["messages"][0]["content"][0]["text"]
    assert any(m["text"].startswith("✅ Incident resolved: *Checkout is down*") for m in mine(emulators, "C_OPS"))
    # The review's action item is a POST-INCIDENT todo of the incident, on its tracking issue.
    [followed_up] = [c for c in comments(emulators, issue["number"]) if "<!-- opsbot:todos -->" in c]
    assert "- [ ] [Ops] Re-enable writes (BLOCKED - DBA sign-off)" in followed_up
    assert "- [ ] [Ops] POST-INCIDENT: Alert on pool" in followed_up


async def test_reminders_fire_by_severity_survive_a_restart_and_snooze(
    redis_url: str, bot: BotUnderTest, emulators: Emulators, clock: Clock
) -> None:
    room = await declare(bot, emulators, "Payments slow", sev=2)  # sev2: every 30 minutes
    clock.advance(20)
    await bot.run_jobs()
    assert not [m for m in mine(emulators, room) if m["text"].startswith("⏰")]

    # Another worker process, started after this one is gone, finds the reminder in Redis.
    async with BotUnderTest(env(redis_url, emulators), clock=clock) as restarted:
        clock.advance(11)
        await restarted.run_jobs()
        reminders = [m["text"] for m in mine(emulators, room) if m["text"].startswith("⏰")]
        assert len(reminders) == 1
        assert "No status update for 31 minutes (sev2 expects one every 30)" in reminders[0]

        # An update resets the wait; a snooze holds reminders back until it ends.
        await ops(restarted, "incident update card processor is throttling us", channel=room)
        clock.advance(25)
        await ops(restarted, "incident snooze 60", channel=room)
        clock.advance(40)
        await restarted.run_jobs()
        assert len([m for m in mine(emulators, room) if m["text"].startswith("⏰")]) == 1
        clock.advance(25)
        await restarted.run_jobs()
        assert len([m for m in mine(emulators, room) if m["text"].startswith("⏰")]) == 2

        # Resolved incidents stay quiet.
        emulators.anthropic.script([text("## Summary\nThrottled by the card processor.")])
        await ops(restarted, "incident resolve throttling lifted", channel=room)
        clock.advance(120)
        await restarted.run_jobs()
        assert len([m for m in mine(emulators, room) if m["text"].startswith("⏰")]) == 2


async def test_two_open_incidents_never_mix(bot: BotUnderTest, emulators: Emulators) -> None:
    first = await declare(bot, emulators, "Search is down", sev=2)
    second = await declare(bot, emulators, "Emails delayed", sev=3)
    assert first != second
    await ops(bot, "incident update reindex started", channel=first)
    await ops(bot, "incident update queue backlog draining", channel=second)

    first_issue, second_issue = sorted(incident_issues(emulators), key=lambda i: i["number"])
    assert any("reindex started" in c for c in comments(emulators, first_issue["number"]))
    assert not any("reindex started" in c for c in comments(emulators, second_issue["number"]))
    assert not any("backlog" in m["text"] for m in mine(emulators, first))
    assert any("backlog" in m["text"] for m in mine(emulators, second))

    # Outside the incident channels, with two open, opsbot asks where.
    await ops(bot, "incident update which one is this?")
    assert mine(emulators, "C_OPS")[-1]["text"] == "Run this in the incident's channel."

    emulators.anthropic.script([text("## Summary\nThe search index was rebuilt.")])
    await ops(bot, "incident resolve index rebuilt", channel=first)
    assert emulators.github.issue(OPS, first_issue["number"])["state"] == "closed"
    assert emulators.github.issue(OPS, second_issue["number"])["state"] == "open"


async def test_a_rerun_declaration_makes_one_channel_and_one_issue(bot: BotUnderTest, emulators: Emulators) -> None:
    body = slash_command_body("incident declare Login errors --sev 2", trigger="trigger-1")
    await bot.slack(body)
    await bot.run_jobs()
    # The same request again, as a job whose worker died before it was marked done is run again.
    again = ChatMessage(
        "slack:command:trigger-1",
        Person("slack", "U_ALICE"),
        SlackThread("C_OPS"),
        "incident declare Login errors --sev 2",
        "slash",
    )
    await bot.runtime.chatops.handle(again, redelivered=True, asked_at=time.time())
    assert [c["name"] for c in emulators.slack.channels.values()].count(f"inc-{TODAY}-login-errors") == 1
    assert len(incident_issues(emulators)) == 1
    room = channel_named(emulators, f"inc-{TODAY}-login-errors")
    assert len(emulators.slack.pins(room)) == 1


async def test_incidents_are_declared_in_slack_only(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 3, "Broken")
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_issue.json"))
    payload["repository"]["full_name"] = API
    payload["issue"]["number"] = 3
    words = "@opsbot incident declare api broken"
    payload["comment"].update(body=words, id=emulators.github.add_comment(API, 3, words, user="octocat"))
    payload["comment"]["user"]["login"] = "octocat"
    await bot.github("issue_comment", payload)
    await bot.run_jobs()
    [answer] = [c["body"] for c in emulators.github.comments(API, 3) if c["user"] == "opsbot"]
    assert answer.startswith("Incidents are declared in Slack")
    assert incident_issues(emulators) == []


async def test_a_deploy_is_not_repeated_when_its_incident_news_cannot_be_posted(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    await declare(bot, emulators, "Latency spike", sev=2)
    # Slack refuses the next post: the news line for the incident channel.
    emulators.slack.fail_next("POST", r"chat\.postMessage$", 500)
    await ops(bot, "deploy api to staging", user="U_BOB")
    assert len(emulators.github.deployments(API)) == 1
    assert any("staging" in m["text"] for m in mine(emulators, "C_OPS")[-1:])  # the answer still came
