"""The Slack App Home end to end: a signed app_home_opened through /slack/events, views.publish at the
emulator, a refresh when someone else asks for an approval, and the Home's buttons through the approval
path with its checks (the requester's own click refused)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import redis.asyncio as redis

from bot.home.model import HOME_APPROVE_ACTION, HOME_DENY_ACTION, HOME_UNLOCK_ACTION
from tests import fixtures
from tests.harness import JSON_CT, BotUnderTest, Emulators, bot_env, event_callback, slash_command_body
from tests.test_deploys_end_to_end import API, MAIN_SHA, deployment_status

# Slack's documented app_home_opened event (docs.slack.dev/reference/events/app_home_opened), with the
# ids of the suite's workspace: the shared fixtures have none.
HOME_OPENED = {
    "type": "app_home_opened",
    "user": "U_CAROL",
    "channel": "D0LAN2Q65",
    "event_ts": "1515449522000016",
    "tab": "home",
    "view": {"id": "VPASKP233", "team_id": "T0001", "type": "home", "blocks": [], "private_metadata": "",
             "callback_id": "", "hash": "1231232323.12321312", "app_id": "A0001", "bot_id": "BBOT"},
}  # fmt: skip


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    # A short window: the refresh a change schedules is due within the test's wait, not 3 s later.
    async with BotUnderTest(bot_env(redis_url, emulators, OPSBOT_HOME_REFRESH_DELAY="0.1")) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


def set_up(emulators: Emulators) -> None:
    for user in ("U_ALICE", "U_BOB", "U_CAROL"):
        emulators.slack.add_user(user, user.removeprefix("U_").lower())
    emulators.slack.add_channel("ops", channel_id="C_OPS", members=("U_ALICE", "U_BOB", "U_CAROL"))
    emulators.github.add_repo(API, branches={"main": MAIN_SHA})


async def opened(bot: BotUnderTest, user: str, *, tab: str = "home", event_id: str | None = None) -> int:
    event = {**HOME_OPENED, "user": user, "tab": tab}
    response = await bot.slack(event_callback(event, event_id), JSON_CT)
    await bot.run_jobs()
    return response.status_code


def shown(view: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(view["blocks"])
    return "\n".join(found)


def home_buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in view["blocks"]:
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def home_click(view: dict[str, Any], button: dict[str, Any], user: str) -> bytes:
    """A block_actions payload as Slack sends it for a button on a Home tab: from a view, in no channel."""
    click = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
    for in_a_message in ("channel", "response_url"):
        click.pop(in_a_message)
    click["user"]["id"] = user
    click["container"] = {"type": "view", "view_id": view["id"]}
    click["view"] = {"id": view["id"], "type": "home", "blocks": view["blocks"], "hash": view["hash"]}
    click["trigger_id"] = f"{user}.{button['action_id']}.{button['value']}"
    click["actions"][0].update(action_id=button["action_id"], value=button["value"], type="button")
    return f"payload={quote(orjson.dumps(click).decode())}".encode()


async def test_opening_the_home_publishes_what_waits_for_that_person(bot: BotUnderTest, emulators: Emulators) -> None:
    set_up(emulators)
    assert await opened(bot, "U_CAROL") == 200
    home = emulators.slack.home("U_CAROL")
    assert "What is waiting for <@U_CAROL>" in shown(home)
    assert "Nothing is waiting for your approval." in shown(home)
    assert "Nothing has been deployed yet." in shown(home)
    # The Messages tab is not the Home; the same event again is one publish.
    assert await opened(bot, "U_BOB", tab="messages") == 200
    assert emulators.slack.homes("U_BOB") == []
    await opened(bot, "U_ALICE", event_id="EvHOME1")
    await opened(bot, "U_ALICE", event_id="EvHOME1")
    assert len(emulators.slack.homes("U_ALICE")) == 1
    # The Home's todo lists are read from the channels Slack says the viewer is in.
    asked = emulators.slack.requests_to("GET", "/api/users.conversations")
    [call] = [r for r in asked if r.query.get("user") == "U_CAROL"]
    assert call.query["types"] == "public_channel,private_channel"


async def test_someone_elses_request_refreshes_the_approvers_home_and_approve_there_deploys(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    set_up(emulators)
    for user in ("U_CAROL", "U_ALICE"):
        await opened(bot, user)
    await bot.slack(slash_command_body("deploy api to production", user="U_ALICE"))
    await bot.run_jobs()  # the request, then the refresh it scheduled
    carols, alices = emulators.slack.home("U_CAROL"), emulators.slack.home("U_ALICE")
    assert "Waiting for your approval (1)" in shown(carols)
    assert "asked by <@U_ALICE>" in shown(carols)
    approve, deny = home_buttons(carols)
    assert (approve["action_id"], deny["action_id"]) == (HOME_APPROVE_ACTION, HOME_DENY_ACTION)
    assert approve["value"] == deny["value"]
    assert "Nothing is waiting for your approval." in shown(alices)  # her own request waits for someone else

    # Alice replays Carol's Approve: the approval path refuses, and says so on Alice's Home.
    assert (await bot.slack(home_click(carols, approve, "U_ALICE"))).status_code == 200
    await bot.run_jobs()
    assert "You can't approve your own deploy: someone else has to." in shown(emulators.slack.home("U_ALICE"))
    assert emulators.github.deployments(API) == []

    await bot.slack(home_click(carols, approve, "U_CAROL"))
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    assert (deployment["environment"], deployment["ref"]) == ("production", MAIN_SHA)
    after = shown(emulators.slack.home("U_CAROL"))
    assert "*Your last click:* 👍 Approved by <@U_CAROL>." in after
    assert "Nothing is waiting for your approval." in after
    assert "`api` → `production`: `main` (`aaaaaaa`) by <@U_ALICE>" in after
    # The request's own status message in the channel moved on too, as with the message's button.
    status, *_ = [m for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert "⏳ queued" in status["text"]
    assert "blocks" not in status  # its Approve button went with the approval

    # The forge's status reports refresh the Home as well.
    await bot.github("deployment_status", deployment_status(deployment, "success"))
    await bot.run_jobs()
    assert "✅ live `api` → `production`" in shown(emulators.slack.home("U_CAROL"))


async def test_deny_and_unlock_on_the_home_go_through_the_commands(bot: BotUnderTest, emulators: Emulators) -> None:
    set_up(emulators)
    await opened(bot, "U_CAROL")
    await bot.slack(slash_command_body("lock staging api --reason load test", user="U_CAROL"))
    await bot.slack(slash_command_body("deploy api to production", user="U_BOB"))
    await bot.run_jobs()
    home = emulators.slack.home("U_CAROL")
    by_action = {b["action_id"]: b for b in home_buttons(home)}
    assert by_action[HOME_UNLOCK_ACTION]["value"] == "staging api"
    assert "`staging/api` since" in shown(home)
    assert "load test" in shown(home)

    await bot.slack(home_click(home, by_action[HOME_DENY_ACTION], "U_CAROL"))
    await bot.slack(home_click(home, by_action[HOME_UNLOCK_ACTION], "U_CAROL"))
    await bot.run_jobs()
    after = shown(emulators.slack.home("U_CAROL"))
    assert "Nothing is waiting for your approval." in after
    assert "You hold no locks." in after
    assert emulators.github.deployments(API) == []
    bots = [m["text"] for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert any("was turned down by <@U_CAROL>. Nothing was deployed." in text for text in bots)
    # Staging is free again: Bob deploys there.
    await bot.slack(slash_command_body("deploy api to staging", user="U_BOB"))
    await bot.run_jobs()
    assert [d["environment"] for d in emulators.github.deployments(API)] == ["staging"]
