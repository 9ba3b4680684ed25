"""Slack replies carry their key in message metadata, and are found by it in the history."""

from __future__ import annotations

from bot.deploys.commands import APPROVE_ACTION
from bot.model import Button, SlackThread
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


async def test_an_edit_carries_the_buttons_it_is_given_and_only_those(redis_url: str, emulators: Emulators) -> None:
    slack = build_integrations(Settings.from_env(bot_env(redis_url, emulators))).chats["slack"]
    place = SlackThread("C_OPS")
    posted = await slack.post(place, "🔎 Working on it…", reply_key="ev-1:answer")
    approve = (Button("Approve a1b2c3", APPROVE_ACTION, "a1b2c3"),)
    await slack.update(place, posted, "*Summary*: approval asked.", reply_key="ev-1:answer", buttons=approve)
    [message] = emulators.slack.messages("C_OPS")
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    assert [(b["action_id"], b["value"]) for b in actions["elements"]] == [(APPROVE_ACTION, "a1b2c3")]
    await slack.update(place, posted, "Approved.", reply_key="ev-1:answer")
    [message] = emulators.slack.messages("C_OPS")
    assert "blocks" not in message  # an edit without buttons removes them
