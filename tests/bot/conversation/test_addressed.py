"""Which forge comments reach the bot."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.conversation.addressed import ForgeComment, Ignored, addressed_to_bot
from bot.model import ChatMessage, GitHubThread, Person

COMMENT = ForgeComment(
    message_id="github:issue_comment:1",
    source_id="issue_comment:1",
    author=Person("github", "octocat"),
    author_is_bot=False,
    body="@opsbot help",
    newly_created=True,
    place=GitHubThread("acme/api", 7, True),
)


def test_a_new_mention_by_a_person_becomes_a_message() -> None:
    message = addressed_to_bot(COMMENT, "opsbot")
    assert isinstance(message, ChatMessage)
    assert (message.text, message.author.handle, message.id) == ("help", "github:octocat", "github:issue_comment:1")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"newly_created": False}, "not a new comment"),
        ({"author_is_bot": True}, "written by a bot"),
        ({"author": Person("github", "opsbot")}, "written by a bot"),
        ({"author": Person("github", "OpsBot[bot]")}, "written by a bot"),
        ({"author": Person("gitlab", "project_42_bot_3f2a")}, "written by a bot"),
        ({"body": "@opsbot help\n\n<!-- opsbot:reply x -->"}, "written by opsbot"),
        ({"body": "> @opsbot help"}, "no mention"),
    ],
)
def test_edits_bots_and_quotes_are_ignored(change: dict[str, object], reason: str) -> None:
    assert addressed_to_bot(replace(COMMENT, **change), "opsbot") == Ignored(reason)  # type: ignore[arg-type]


def test_messages_survive_the_queue_unchanged() -> None:
    from bot.model import SlackThread

    for place in (COMMENT.place, SlackThread("C1", "1.2", "https://hooks.slack.com/commands/x")):
        message = ChatMessage("m-1", Person("slack", "U1"), place, "deploy api to staging", "slash", "9")
        assert ChatMessage.from_json(message.to_json()) == message
