"""Decide whether a forge comment is addressed to opsbot.

Handlers turn GitHub and GitLab payloads into a :class:`ForgeComment`; the
rules for what triggers the bot live here, in one place for both forges:
only newly created comments, never from a bot (opsbot included), and only
when ``@opsbot`` is mentioned in the words the person wrote themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.conversation.markers import ANY_MARKER, TODO_ISSUE_MARKER, TRACKING_MARKER
from bot.conversation.mentions import find_mention
from bot.model import ChatMessage, GitHubThread, GitLabThread, Person

# GitLab's project and group access tokens act as users named like this.
GITLAB_TOKEN_BOT = re.compile(r"^(project|group)_\d+_bot(_[0-9a-f]+)?$")


@dataclass(frozen=True)
class ForgeComment:
    message_id: str  # stable per comment: "github:comment:123"
    source_id: str  # what to react to: "issue_comment:123", or a note id
    author: Person
    author_is_bot: bool
    body: str
    newly_created: bool
    place: GitHubThread | GitLabThread


@dataclass(frozen=True)
class Ignored:
    reason: str  # one of a few fixed words: it is a metric label
    detail: str = ""  # for the sender's answer; may name what they sent


def is_bot_name(login: str, bot_name: str) -> bool:
    lowered = login.lower()
    return lowered in (bot_name.lower(), f"{bot_name.lower()}[bot]") or bool(GITLAB_TOKEN_BOT.match(lowered))


def addressed_to_bot(comment: ForgeComment, bot_name: str) -> ChatMessage | Ignored:
    if not comment.newly_created:
        return Ignored("not a new comment")
    if comment.author_is_bot or is_bot_name(comment.author.id, bot_name):
        return Ignored("written by a bot")
    if ANY_MARKER in comment.body:
        return Ignored("written by opsbot")
    request = find_mention(comment.body, bot_name)
    if request is None:
        return Ignored("no mention")
    return ChatMessage(
        id=comment.message_id,
        author=comment.author,
        place=comment.place,
        text=request,
        via="mention",
        source_id=comment.source_id,
    )


def event_time(text: object) -> float:
    """A forge timestamp ("2019-05-15T15:20:21Z", GitLab's "2015-05-17 17:06:40 UTC") as epoch seconds."""
    raw = str(text).strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    stamp = datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def checklist_edit(
    body: str, previous: str | None, editor: Person, editor_is_bot: bool, bot_name: str, written_by_bot: bool
) -> bool:
    """A person (not opsbot re-rendering it) edited one of opsbot's tracking comments."""
    return (
        written_by_bot
        and TRACKING_MARKER in body
        and not editor_is_bot
        and not is_bot_name(editor.id, bot_name)
        and body != previous
    )


def todo_issue_change(description: str, actor: Person, actor_is_bot: bool, bot_name: str) -> bool:
    """A person (not opsbot keeping it in step) closed or reopened an issue mirroring a todo."""
    return TODO_ISSUE_MARKER in description and not actor_is_bot and not is_bot_name(actor.id, bot_name)
