"""The Slack emulator's Home methods, through slack_sdk's AsyncWebClient: views.publish keeps what Slack
keeps and refuses what Slack refuses; users.conversations lists a person's channels a page at a time."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators import SlackEmulator

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


@pytest.fixture
def slack(slack: SlackEmulator) -> SlackEmulator:
    slack.add_user("U_CAROL", "carol")
    return slack


async def refusal(call: Awaitable[object]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


async def test_a_published_home_is_what_the_person_sees(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    first = await slack_client.views_publish(user_id="U_CAROL", view={"type": "home", "blocks": [SECTION]})
    assert first["view"]["type"] == "home"
    second = {"type": "home", "blocks": [SECTION, {"type": "divider"}]}
    await slack_client.views_publish(user_id="U_CAROL", view=second)
    assert [len(v["blocks"]) for v in slack.homes("U_CAROL")] == [1, 2]
    assert slack.home("U_CAROL")["blocks"] == second["blocks"]
    with pytest.raises(KeyError):
        slack.home("U_BOT")


async def test_publishing_refuses_what_slack_refuses(slack_client: AsyncWebClient) -> None:
    missing = await refusal(
        slack_client.api_call("views.publish", json={"view": {"type": "home", "blocks": [SECTION]}})
    )
    assert (missing["error"], missing["response_metadata"]["messages"]) == ("invalid_arguments", ["missing user_id"])
    nobody = await refusal(slack_client.views_publish(user_id="U_NOBODY", view={"type": "home", "blocks": [SECTION]}))
    assert nobody["error"] == "user_not_found"
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    unknown = {"type": "carousel"}
    long_button = {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "action_id": "a"}],
    }
    for view in (
        {"type": "home", "blocks": [SECTION] * 101},
        {"type": "home", "blocks": [too_long]},
        {"type": "home", "blocks": [unknown]},
        {"type": "home", "blocks": [long_button]},
        {"type": "modal", "blocks": [SECTION], "title": {"type": "plain_text", "text": "x"}},
        {"type": "home", "blocks": []},
        {"type": "home", "blocks": [SECTION], "private_metadata": "x" * 3001},
    ):
        refused = await refusal(slack_client.views_publish(user_id="U_CAROL", view=view))
        assert refused["error"] == "invalid_arguments", view
    accepted = await slack_client.views_publish(user_id="U_CAROL", view={"type": "home", "blocks": [SECTION] * 100})
    assert accepted["ok"]


async def test_a_persons_channels_come_a_page_at_a_time(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    ids = [slack.add_channel(f"team-{n}", members=("U_CAROL",)) for n in range(5)]
    secret = slack.add_channel("secret", members=("U_CAROL",), is_private=True)
    slack.add_channel("without-carol")
    hidden = slack.add_channel("no-bot", members=("U_CAROL",), is_private=True, bot_member=False)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await slack_client.users_conversations(
            user="U_CAROL", types="public_channel,private_channel", limit=2, cursor=cursor
        )
        seen += [c["id"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"] or None
        if not cursor:
            break
    assert seen == [*ids, secret]  # not a private channel opsbot isn't in
    assert hidden not in seen
    public = await slack_client.users_conversations(user="U_CAROL")  # public channels by default
    assert [c["id"] for c in public["channels"]] == ids
    assert (await refusal(slack_client.users_conversations(user="U_NOBODY")))["error"] == "user_not_found"
    assert (await refusal(slack_client.users_conversations(user="U_CAROL", types="dm")))["error"] == "invalid_types"
