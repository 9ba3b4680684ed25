"""Slack replies carry their key in message metadata, and are found by it in the history."""

from __future__ import annotations

from bot.model import SlackThread
from bot.settings import Settings
from handlers.app import build_integrations
from tests.harness import Emulators, bot_env


async def test_a_reply_is_found_by_its_key_and_by_no_other(redis_url: str, emulators: Emulators) -> None:
    slack = build_integrations(Settings.from_env(bot_env(redis_url, emulators))).chats["slack"]
    place = SlackThread("C_OPS")
    since = 0.0  # the emulator stamps messages from 2023
    posted = await slack.post(place, "Deploying api to staging…", reply_key="deploy:1:status")
    await slack.post(place, "Deploying web to staging…", reply_key="deploy:2:status")
    assert await slack.find_reply(place, "deploy:1:status", since=since) == posted
    assert await slack.find_reply(place, "deploy:3:status", since=since) is None
    await slack.update(place, posted, "Deployed api to staging.", reply_key="deploy:1:status")
    assert await slack.find_reply(place, "deploy:1:status", since=since) == posted
