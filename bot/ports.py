"""The ports several features share: chat, short-lived marks, tracked issues, cross-worker mutexes.

Each is written in the core's own vocabulary; ``bot.clients`` and ``bot.stores``
implement them. A port only one feature uses lives in that feature's ``ports``
module (``bot.deploys.ports``, ``bot.jobs.ports``, …); forge access is :mod:`bot.forges`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.model import Button, ChatMessage, Place


class Chat(Protocol):
    """A place where people talk to the bot: Slack, a forge, the console."""

    async def acknowledge(self, message: ChatMessage) -> None:
        """Show the person that the bot saw their message (👀), idempotently."""

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        """Post ``text`` at ``place``, tagged invisibly with ``reply_key``; the message's id."""

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        """The id of a message tagged ``reply_key`` already at ``place``, if there is one."""

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        """Replace a message opsbot posted, buttons included (people aren't notified of edits):
        the edited message has ``buttons``, and none when none are given."""


class Marks(Protocol):
    """Short-lived facts with a TTL: "this reply was sent", "this event was seen"."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, ttl: float, value: str = "1") -> None: ...


@dataclass(frozen=True)
class TrackedIssue:
    """An issue opsbot keeps up to date (a mirrored todo, a thread's todo list, an incident)."""

    number: int  # GitHub number, GitLab iid
    title: str
    open: bool
    labels: tuple[str, ...]


class IssueTracker(Protocol):
    """Issues in a GitHub repository or GitLab project, found again by a hidden marker."""

    async def find(self, repo: str, label: str, marker: str) -> TrackedIssue | None:
        """The issue labelled ``label`` whose description holds ``marker``, open or closed."""

    async def open(self, repo: str, title: str, body: str, labels: Sequence[str]) -> TrackedIssue: ...

    async def edit(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        add_labels: Sequence[str] = (),
        remove_labels: Sequence[str] = (),
        open: bool | None = None,
    ) -> None:
        """Change what is given; labels people added are kept."""

    def place(self, repo: str, number: int) -> Place:
        """Where comments on the issue go (through the forge's Chat)."""


class Mutexes(Protocol):
    """Short exclusive sections across every worker (one thread's todos at a time)."""

    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held until the block ends; raises :class:`bot.errors.Busy` if it can't be had soon."""
