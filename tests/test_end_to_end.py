"""A mention on GitHub, GitLab or Slack, through the queue and a worker, to an answer."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from tests import fixtures
from tests.harness import JSON_CT, BotUnderTest, Emulators, event_callback

REPO = "Codertocat/Hello-World"


def github_comment(body: str, **user: Any) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_issue.json"))
    payload["comment"]["body"] = body
    payload["comment"]["user"].update(user)
    return payload


def gitlab_note(body: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    payload["object_attributes"]["note"] = body
    return payload


def setup_github(emulators: Emulators) -> int:
    payload = github_comment("")
    emulators.github.add_repo(REPO)
    number = int(payload["issue"]["number"])
    emulators.github.add_issue(REPO, number, title="Spelling error", body="", user="Codertocat")
    return number


def posted(emulators: Emulators, number: int, body: str, **user: Any) -> dict[str, Any]:
    """The webhook for a comment that exists on the emulated GitHub."""
    payload = github_comment(body, **user)
    payload["comment"]["id"] = emulators.github.add_comment(
        REPO, number, body, user=payload["comment"]["user"]["login"]
    )
    return payload


def by_bot(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in comments if c["user"] == "opsbot"]


async def test_a_github_mention_gets_eyes_and_an_answer(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    payload = posted(emulators, number, "Could you list commands?\n\n@opsbot help")
    assert (await bot.github("issue_comment", payload)).status_code == 202
    await bot.run_jobs()
    comments = by_bot(emulators.github.comments(REPO, number))
    assert len(comments) == 1
    assert "/ops" not in comments[0]["body"]
    assert "@opsbot deploy" in comments[0]["body"]
    [asked] = [c for c in emulators.github.comments(REPO, number) if c["id"] == payload["comment"]["id"]]
    assert [r["content"] for r in asked["reactions"]] == ["eyes"]


async def test_free_text_gets_the_not_configured_answer(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    await bot.github("issue_comment", posted(emulators, number, "@opsbot why did the last deploy fail?"))
    await bot.run_jobs()
    [comment] = by_bot(emulators.github.comments(REPO, number))
    assert "not configured" in comment["body"]


async def test_quotes_code_edits_and_bots_trigger_nothing(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    edited = github_comment("@opsbot help")
    edited["action"] = "edited"
    for event in (
        github_comment("> @opsbot help"),
        github_comment("```\n@opsbot help\n```"),
        github_comment("@opsbot help", type="Bot", login="renovate[bot]"),
        github_comment("@opsbot help", login="opsbot"),
        edited,
    ):
        response = await bot.github("issue_comment", event)
        assert response.status_code == 202
        assert response.json()["message"].startswith("ignored")
    await bot.run_jobs()
    assert by_bot(emulators.github.comments(REPO, number)) == []
    assert emulators.github.requests_to("POST", r"/reactions$") == []


async def test_a_gitlab_mention_gets_an_award_and_a_note(bot: BotUnderTest, emulators: Emulators) -> None:
    payload = gitlab_note("@opsbot help")
    project = payload["project"]
    iid = int(payload["merge_request"]["iid"])
    emulators.gitlab.add_project(project["path_with_namespace"], id=int(project["id"]))
    emulators.gitlab.add_merge_request(project["path_with_namespace"], iid, title="MR", description="", author="root")
    payload["object_attributes"]["id"] = emulators.gitlab.add_note(
        project["path_with_namespace"], "merge_requests", iid, "@opsbot help", author="root"
    )
    assert (await bot.gitlab("Note Hook", payload)).status_code == 202
    await bot.run_jobs()
    notes = emulators.gitlab.notes(project["path_with_namespace"], "merge_requests", iid)
    [asked] = [n for n in notes if n["author"] == "root"]
    notes = [n for n in notes if n["author"] == "opsbot"]
    assert len(notes) == 1
    assert "@opsbot deploy" in notes[0]["body"]
    assert [a["name"] for a in asked["awards"]] == ["eyes"]


async def test_a_slack_mention_is_answered_in_its_thread(bot: BotUnderTest, emulators: Emulators) -> None:
    event = {
        "type": "app_mention",
        "user": "U_ALICE",
        "text": "<@UBOT> help",
        "ts": "1700000000.000100",
        "channel": "C_OPS",
    }
    assert (await bot.slack(event_callback(event), JSON_CT)).status_code == 200
    await bot.run_jobs()
    [reply] = [m for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert reply["thread_ts"] == "1700000000.000100"
    assert "/ops deploy" in reply["text"]
    assert "**" not in reply["text"]  # Slack gets mrkdwn, not Markdown


async def test_a_slack_slash_command_is_answered_in_the_channel(bot: BotUnderTest, emulators: Emulators) -> None:
    from tests.harness import slash_command_body

    await bot.slack(slash_command_body("what is deployed on staging?", channel="C_OPS"))
    await bot.run_jobs()
    [reply] = [m for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert "not configured" in reply["text"]
    assert not reply.get("thread_ts")


async def test_a_slash_command_where_opsbot_is_not_a_member_is_answered_through_its_response_url(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    from tests.harness import slash_command_body

    channel = emulators.slack.add_channel("private-ops", bot_member=False)
    body = slash_command_body("what changed on staging?", channel=channel, trigger="trig-42")
    body = body.replace(
        b"https%3A%2F%2Fhooks.slack.invalid%2Fcommands%2F1",
        quote(emulators.slack.response_url("trig-42"), safe="").encode(),
    )
    await bot.slack(body)
    await bot.run_jobs()
    assert emulators.slack.messages(channel) == []
    [response] = emulators.slack.responses()
    assert response["trigger"] == "trig-42"
    assert response["response_type"] == "in_channel"
    assert "not configured" in response["text"]


async def test_a_response_url_elsewhere_than_slack_is_never_called(bot: BotUnderTest, emulators: Emulators) -> None:
    from tests.harness import slash_command_body

    channel = emulators.slack.add_channel("private-ops", bot_member=False)
    body = slash_command_body("why is staging slow?", channel=channel).replace(
        b"https%3A%2F%2Fhooks.slack.invalid", b"https%3A%2F%2Fevil.example"
    )
    await bot.slack(body)
    await bot.run_jobs()
    assert emulators.slack.responses() == []
    assert await bot.runtime.redis.xlen("opsbot:jobs:dead") == 1  # refused, kept for an operator
