"""The Slack emulator's modals, driven by slack_sdk's AsyncWebClient: what Slack takes and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators import SlackEmulator
from tests.emulators.conftest import slack_error


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value}, "value": value}


def select_block(options: list[dict[str, Any]], **element: Any) -> dict[str, Any]:
    return {
        "type": "input", "block_id": "pick", "label": {"type": "plain_text", "text": "Pick"},
        "element": {"type": "static_select", "action_id": "picked", "options": options, **element},
    }  # fmt: skip


def modal(*blocks: dict[str, Any], submit: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal", "callback_id": "form", "title": {"type": "plain_text", "text": "Form"},
        "private_metadata": "kept", "blocks": list(blocks),
    }  # fmt: skip
    if submit:
        view["submit"] = {"type": "plain_text", "text": "Go"}
    return view


GOOD = modal(select_block([option("a"), option("b")]))


async def test_a_trigger_opens_one_modal_which_updates_by_id(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    opened = await slack_client.views_open(trigger_id=slack.trigger("U_ALICE"), view=GOOD)
    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["private_metadata"] == "kept"
    assert view["state"] == {"values": {}}
    changed = modal(select_block([option("c")]))
    updated = await slack_client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    assert updated["view"]["hash"] != view["hash"]
    assert slack.view(view["id"])["blocks"][0]["element"]["options"] == [option("c")]
    # The hash of the view before the update no longer matches: a stale change is refused.
    assert (
        await slack_error(slack_client.views_update(view_id=view["id"], hash=view["hash"], view=GOOD))
        == "hash_conflict"
    )


async def test_triggers_slack_would_not_take_are_refused(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    assert (
        await slack_error(slack_client.views_open(trigger_id="12345.98765.made-up", view=GOOD)) == "invalid_arguments"
    )
    stale = slack.trigger(age=3.5)
    assert await slack_error(slack_client.views_open(trigger_id=stale, view=GOOD)) == "expired_trigger_id"
    once = slack.trigger()
    await slack_client.views_open(trigger_id=once, view=GOOD)
    assert await slack_error(slack_client.views_open(trigger_id=once, view=GOOD)) == "exchanged_trigger_id"


@pytest.mark.parametrize(
    "view",
    [
        modal(select_block([option(str(n)) for n in range(101)])),  # at most 100 options
        modal(select_block([option("a", "x" * 76)])),  # option text of at most 75
        modal(select_block([option("v" * 151)])),  # option value of at most 150
        modal(select_block([option("a")], initial_option=option("z"))),  # not one of the options
        modal(select_block([option("a")]), submit=False),  # inputs and nothing to submit them with
        modal(select_block([option("a")]), select_block([option("b")])),  # the same block_id twice
        modal(select_block([])),
        modal({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3_001}}),
        {**GOOD, "title": {"type": "plain_text", "text": "A title longer than Slack's"}},
        {**GOOD, "callback_id": "c" * 256},
        {**GOOD, "private_metadata": "m" * 3_001},
        {**GOOD, "type": "home"},
        modal(*[{"type": "divider"} for _ in range(101)]),
    ],
)
async def test_views_slack_would_refuse_are_refused(
    slack: SlackEmulator, slack_client: AsyncWebClient, view: dict[str, Any]
) -> None:
    assert await slack_error(slack_client.views_open(trigger_id=slack.trigger(), view=view)) == "invalid_arguments"
    assert slack.open_views() == []


async def test_a_view_too_large_is_refused(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    sections = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2_900}} for _ in range(99)]
    assert (
        await slack_error(slack_client.views_open(trigger_id=slack.trigger(), view=modal(*sections)))
        == "view_too_large"
    )


async def test_a_closed_view_is_not_found(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    view = (await slack_client.views_open(trigger_id=slack.trigger(), view=GOOD))["view"]
    slack.close_view(view["id"])
    assert await slack_error(slack_client.views_update(view_id=view["id"], view=GOOD)) == "not_found"


async def test_payloads_about_a_view_carry_its_state_and_opener(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    view = (await slack_client.views_open(trigger_id=slack.trigger("U_BOB"), view=GOOD))["view"]
    action = slack.view_action(view["id"], "pick", "b")
    assert action["type"] == "block_actions"
    assert action["user"]["id"] == "U_BOB"
    assert action["container"] == {"type": "view", "view_id": view["id"]}
    [picked] = action["actions"]
    assert (picked["action_id"], picked["selected_option"]) == ("picked", option("b"))
    submitted = slack.view_submission(view["id"], {"pick": "a"})
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["private_metadata"] == "kept"
    assert submitted["view"]["state"]["values"] == {
        "pick": {"picked": {"type": "static_select", "selected_option": option("a")}}
    }
    # A new trigger id with each payload, good for opening one more view.
    assert submitted["trigger_id"] != action["trigger_id"]
    await slack_client.views_open(trigger_id=submitted["trigger_id"], view=GOOD)
