"""Decide whether a forge comment is addressed to opsbot.

Handlers turn GitHub and GitLab payloads into a :class:`ForgeComment`; the
rules for what triggers the bot live here, in one place for both forges:
only newly created comments, never from a bot (opsbot included), and only
when ``@opsbot`` is mentioned in the words the person wrote themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.markers import ANY_MARKER
from bot.mentions import find_mention
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
    reason: str


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
