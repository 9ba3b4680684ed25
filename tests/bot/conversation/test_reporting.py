"""Status messages where the platform won't let opsbot read the history."""

from __future__ import annotations

import redis.asyncio as redis

from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.model import SlackThread
from bot.settings import Settings
from bot.stores.marks import RedisMarks
from handlers.app import build_integrations
from tests.harness import Emulators, bot_env


async def test_a_status_is_posted_when_the_history_cannot_be_read(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    chats = build_integrations(Settings.from_env(bot_env(redis_url, emulators))).chats
    marks = RedisMarks(redis_client)
    reporter = Reporter(chats, Replies(marks), marks)
    # A DM with opsbot, say: Slack answers the history lookup with not_in_channel.
    emulators.slack.fail_next(
        "GET", r"/api/conversations\.history$", 200, body={"ok": False, "error": "not_in_channel"}
    )
    place = SlackThread(channel="C_OPS")
    first = await reporter.update(place, "deploy:1:status", "Deploying api to staging…")
    assert emulators.slack.requests_to("GET", r"/api/conversations\.history$"), "the lookup was never tried"
    second = await reporter.update(place, "deploy:1:status", "Deployed api to staging.")
    assert first == second
    [status] = [m for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert status["text"] == "Deployed api to staging."
