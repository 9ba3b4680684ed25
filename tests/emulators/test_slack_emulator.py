"""The Slack emulator, driven by slack_sdk's AsyncWebClient over HTTP."""

from __future__ import annotations

import asyncio
import json

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators import SlackEmulator
from tests.emulators.conftest import SLACK_TOKEN, slack_error


@pytest.mark.asyncio
async def test_auth_test_names_the_bot_and_bad_tokens_are_refused(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    me = await slack_client.auth_test()
    assert (me["user_id"], me["bot_id"], me["team_id"]) == ("UBOT", "BBOT", "T0001")
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.url + "/api/")
    assert await slack_error(wrong.auth_test()) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=slack.url + "/api/")
    assert await slack_error(anonymous.auth_test()) == "not_authed"


@pytest.mark.asyncio
async def test_thread_replies_come_back_with_metadata_only_when_asked(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    metadata = {"event_type": "opsbot_status", "event_payload": {"job": "j1"}}
    parent = await slack_client.chat_postMessage(channel="C_OPS", text="deploying", metadata=metadata)
    reply = await slack_client.chat_postMessage(channel="C_OPS", text="done", thread_ts=parent["ts"])
    assert parent["ts"] < reply["ts"]
    assert parent["message"]["metadata"] == metadata

    plain = await slack_client.conversations_replies(channel="C_OPS", ts=parent["ts"])
    assert [m["text"] for m in plain["messages"]] == ["deploying", "done"]
    assert all("metadata" not in m for m in plain["messages"])
    full = await slack_client.conversations_replies(channel="C_OPS", ts=reply["ts"], include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata
    assert full["messages"][0]["reply_count"] == 1
    assert full["messages"][1]["thread_ts"] == parent["ts"]

    stored = slack.messages("C_OPS")
    assert [(m["text"], m.get("thread_ts"), m["user"]) for m in stored] == [
        ("deploying", parent["ts"], "UBOT"),
        ("done", parent["ts"], "UBOT"),
    ]


@pytest.mark.asyncio
async def test_metadata_sent_in_a_form_body_is_decoded(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    metadata = {"event_type": "todo", "event_payload": {"id": 7}}
    form = {"channel": "C_OPS", "text": "hi", "metadata": json.dumps(metadata)}
    await slack_client.api_call("chat.postMessage", data=form)
    assert slack.requests[-1].form["metadata"] == json.dumps(metadata)
    assert slack.messages("C_OPS")[0]["metadata"] == metadata
    bad = {"channel": "C_OPS", "text": "hi", "metadata": json.dumps({"event_payload": {}})}
    assert await slack_error(slack_client.api_call("chat.postMessage", data=bad)) == "invalid_metadata_format"


@pytest.mark.asyncio
async def test_history_is_newest_first_without_thread_replies_and_pages_by_cursor(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    first = slack.add_message("C_OPS", "one")
    slack.add_message("C_OPS", "a reply", thread_ts=first)
    for text in ("two", "three", "four"):
        slack.add_message("C_OPS", text)

    page = await slack_client.conversations_history(channel="C_OPS", limit=2)
    assert [m["text"] for m in page["messages"]] == ["four", "three"]
    assert page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = await slack_client.conversations_history(channel="C_OPS", limit=2, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["two", "one"]
    assert rest["has_more"] is False
    newer = await slack_client.conversations_history(channel="C_OPS", oldest=first)
    assert [m["text"] for m in newer["messages"]] == ["four", "three", "two"]


@pytest.mark.asyncio
async def test_thread_replies_are_oldest_first_and_page_by_cursor(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    root = slack.add_message("C_OPS", "root")
    for n in range(4):
        slack.add_message("C_OPS", f"reply {n}", thread_ts=root)
    slack.add_message("C_OPS", "elsewhere")

    page = await slack_client.conversations_replies(channel="C_OPS", ts=root, limit=3)
    assert [m["text"] for m in page["messages"]] == ["root", "reply 0", "reply 1"]
    assert page["has_more"] is True
    rest = await slack_client.conversations_replies(
        channel="C_OPS", ts=root, limit=3, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["reply 2", "reply 3"]
    assert rest["has_more"] is False
    assert "response_metadata" not in rest


@pytest.mark.asyncio
async def test_update_edits_in_place_and_only_the_bots_own_messages(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    posted = await slack_client.chat_postMessage(channel="C_OPS", text="working…")
    updated = await slack_client.chat_update(channel="C_OPS", ts=posted["ts"], text="done")
    assert updated["ts"] == posted["ts"]
    assert [m["text"] for m in slack.messages("C_OPS")] == ["done"]
    theirs = slack.add_message("C_OPS", "mine", user="U_ALICE")
    assert await slack_error(slack_client.chat_update(channel="C_OPS", ts=theirs, text="x")) == "cant_update_message"
    assert await slack_error(slack_client.chat_update(channel="C_OPS", ts="1.000001", text="x")) == "message_not_found"


@pytest.mark.asyncio
async def test_reactions_pins_ephemeral_and_users(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    ts = slack.add_message("C_OPS", "please deploy")
    await slack_client.reactions_add(channel="C_OPS", timestamp=ts, name="eyes")
    assert (
        await slack_error(slack_client.reactions_add(channel="C_OPS", timestamp=ts, name="eyes")) == "already_reacted"
    )
    assert slack.messages("C_OPS")[0]["reactions"] == [{"name": "eyes", "users": ["UBOT"], "count": 1}]

    await slack_client.pins_add(channel="C_OPS", timestamp=ts)
    assert slack.pins("C_OPS") == [ts]
    assert await slack_error(slack_client.pins_add(channel="C_OPS", timestamp=ts)) == "already_pinned"

    slack.add_user("U_ALICE", "alice", real_name="Alice Example")
    sent = await slack_client.chat_postEphemeral(channel="C_OPS", user="U_ALICE", text="only you")
    assert slack.ephemeral()[0]["ts"] == sent["message_ts"]
    assert slack.messages("C_OPS")[-1]["text"] == "please deploy"  # ephemeral messages are not in history
    alice = await slack_client.users_info(user="U_ALICE")
    assert alice["user"]["real_name"] == "Alice Example"
    assert await slack_error(slack_client.users_info(user="U_NOBODY")) == "user_not_found"


@pytest.mark.asyncio
async def test_channel_lifecycle_create_join_invite(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    created = await slack_client.conversations_create(name="inc-42-db-down")
    cid = created["channel"]["id"]
    assert created["channel"]["is_member"] is True
    assert await slack_error(slack_client.conversations_create(name="inc-42-db-down")) == "name_taken"
    assert await slack_error(slack_client.conversations_create(name="Has Spaces")) == "invalid_name_specials"

    slack.add_user("U_CAROL", "carol")
    await slack_client.conversations_invite(channel=cid, users=["U_CAROL"])
    assert "U_CAROL" in slack.channels[cid]["members"]
    assert await slack_error(slack_client.conversations_invite(channel=cid, users="U_CAROL")) == "already_in_channel"
    assert await slack_error(slack_client.conversations_invite(channel=cid, users="U_GHOST")) == "user_not_found"

    elsewhere = slack.add_channel("general", bot_member=False)
    assert await slack_error(slack_client.chat_postMessage(channel=elsewhere, text="hi")) == "not_in_channel"
    joined = await slack_client.conversations_join(channel=elsewhere)
    assert "warning" not in joined.data
    again = await slack_client.conversations_join(channel=elsewhere)
    assert again["warning"] == "already_in_channel"
    await slack_client.chat_postMessage(channel="#general", text="hi")
    assert slack.messages("general")[0]["text"] == "hi"


@pytest.mark.asyncio
async def test_unknown_methods_and_channels(slack: SlackEmulator, slack_client: AsyncWebClient) -> None:
    assert await slack_error(slack_client.api_call("chat.teleport")) == "unknown_method"
    assert await slack_error(slack_client.chat_postMessage(channel="#nowhere", text="x")) == "channel_not_found"
    # chat_postMessage() itself warns about a missing text; the raw call reaches the API.
    assert await slack_error(slack_client.api_call("chat.postMessage", json={"channel": "C_OPS"})) == "no_text"


@pytest.mark.asyncio
async def test_rate_limit_is_an_error_unless_the_client_retries(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    slack.fail_next("POST", r"chat\.postMessage$", 429, headers={"Retry-After": "0"})
    with pytest.raises(SlackApiError) as caught:
        await slack_client.chat_postMessage(channel="C_OPS", text="first")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "0"
    assert slack.messages("C_OPS") == []

    slack.fail_next("POST", r"chat\.postMessage$", 429, headers={"Retry-After": "0"})
    patient = AsyncWebClient(
        token=SLACK_TOKEN,
        base_url=slack.url + "/api/",
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    await patient.chat_postMessage(channel="C_OPS", text="second")
    assert [m["text"] for m in slack.messages("C_OPS")] == ["second"]
    assert [r.status for r in slack.requests_to("POST", "chat.postMessage")] == [429, 429, 200]


@pytest.mark.asyncio
async def test_a_held_post_has_taken_effect_before_its_reply(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    handle = slack.hold("POST", r"chat\.postMessage$")
    posting = asyncio.create_task(slack_client.chat_postMessage(channel="C_OPS", text="deploy started"))
    assert await handle.reached()
    assert [m["text"] for m in slack.messages("C_OPS")] == ["deploy started"]
    assert not posting.done()
    handle.release()
    assert (await posting)["ts"] == slack.messages("C_OPS")[0]["ts"]


@pytest.mark.asyncio
async def test_a_worker_killed_while_held_leaves_the_message_posted(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    handle = slack.hold("POST", r"chat\.postMessage$")
    posting = asyncio.create_task(slack_client.chat_postMessage(channel="C_OPS", text="deploy started"))
    assert await handle.reached()
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    for _ in range(200):
        if handle.client_gone:
            break
        await asyncio.sleep(0.01)
    assert handle.client_gone
    assert [m["text"] for m in slack.messages("C_OPS")] == ["deploy started"]


async def test_what_slack_refuses_is_refused(slack_client: AsyncWebClient) -> None:
    assert await slack_error(slack_client.chat_postMessage(channel="C1", text="x" * 40_001)) == "msg_too_long"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3_001}}
    assert (
        await slack_error(slack_client.chat_postMessage(channel="C1", text="x", blocks=[section])) == "invalid_blocks"
    )
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a", "value": "v"}
    actions = {"type": "actions", "elements": [button]}
    assert (
        await slack_error(slack_client.chat_postMessage(channel="C1", text="x", blocks=[actions])) == "invalid_blocks"
    )
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": "s"}}] * 51
    assert await slack_error(slack_client.chat_postMessage(channel="C1", text="x", blocks=many)) == "invalid_blocks"
    posted = await slack_client.chat_postMessage(channel="C1", text="x" * 40_000)
    assert (
        await slack_error(slack_client.chat_update(channel="C1", ts=posted["ts"], text="y" * 40_001)) == "msg_too_long"
    )
    assert await slack_error(slack_client.conversations_create(name="a" * 81)) == "invalid_name_maxlength"
    assert await slack_error(slack_client.conversations_create(name="Inc Checkout!")) == "invalid_name_specials"
    assert await slack_error(slack_client.conversations_create(name="")) == "invalid_name_required"
    assert (await slack_client.conversations_create(name="inc-20261202-" + "a" * 67))["ok"]


@pytest.mark.asyncio
async def test_a_permalink_names_the_workspace_channel_and_message(
    slack: SlackEmulator, slack_client: AsyncWebClient
) -> None:
    ts = slack.add_message("C_OPS", "plan the upgrade")
    found = await slack_client.chat_getPermalink(channel="C_OPS", message_ts=ts)
    assert found["permalink"] == f"https://{slack.team.lower()}.slack.com/archives/C_OPS/p{ts.replace('.', '')}"
    assert await slack_error(slack_client.chat_getPermalink(channel="C_OPS", message_ts="1.0")) == "message_not_found"
    assert await slack_error(slack_client.chat_getPermalink(channel="#nowhere", message_ts=ts)) == "channel_not_found"
