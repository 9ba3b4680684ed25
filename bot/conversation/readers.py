"""What the Ops agent is shown of the place it was asked in.

All of it is written by people outside opsbot's control (PR bodies, comments,
thread messages, check names), so the agent receives it as delimited data and
never as instructions. Clients fetch a bounded amount; the agent's context
builder trims again before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.model import Place

MAX_POSTS = 20  # earlier messages of the thread, newest kept
MAX_FILES = 100  # changed files of a PR/MR
MAX_CHECKS = 50


@dataclass(frozen=True)
class Check:
    """One CI result on a commit: a GitHub check run or commit status, a GitLab pipeline or job status."""

    name: str
    state: str  # the platform's word, lower case: success, failure, pending, running, …
    url: str | None = None


@dataclass(frozen=True)
class Post:
    author: str  # the platform's handle, as Person.handle would name them
    text: str
    is_bot: bool = False


@dataclass(frozen=True)
class Conversation:
    kind: str  # "pull request", "merge request", "issue", "Slack thread", "console"
    title: str | None = None
    body: str | None = None
    url: str | None = None
    head_ref: str | None = None  # a PR/MR's source branch…
    head_sha: str | None = None  # …and the commit at its head
    changed_files: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    posts: tuple[Post, ...] = ()  # earlier messages, oldest first; the asking message is not among them


class ConversationReader(Protocol):
    async def conversation(self, place: Place, *, exclude: str | None = None) -> Conversation:
        """The thread at ``place``; ``exclude`` is the platform id of the asking message."""
