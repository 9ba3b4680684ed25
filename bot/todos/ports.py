"""Where each conversation's todo list is kept: ``bot.stores.todos`` over Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.model import Place, SlackThread
from bot.todos.lists import Todo

OPEN_THREADS_KEPT = 100  # per channel: `/ops todos` there lists the most recently changed of them
KEEP_FOR = 90 * 24 * 3600  # a thread untouched for a quarter is done with


class TodoStore(Protocol):
    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        """Replace the list at ``place``. A Slack thread's save also keeps its channel's index of
        threads with open todos: in it while any item is open, out once all are done."""

    async def load(self, place: Place) -> list[Todo]: ...

    async def open_threads(self, channel: str) -> list[SlackThread]:
        """The threads of Slack ``channel`` with open todos, most recently changed first;
        at most ``OPEN_THREADS_KEPT``, none untouched for longer than ``KEEP_FOR``."""


class ThreadLinks(Protocol):
    """A link to a Slack thread people can click; None when Slack can't give one. The Slack client answers it."""

    async def __call__(self, thread: SlackThread) -> str | None: ...


class IncidentIssue(Protocol):
    """The tracking issue of the incident whose channel ``place`` is in, if any: an incident channel's todos
    are one list, mirrored there. Incidents answer it, as the composition root wires it."""

    async def __call__(self, place: Place) -> Place | None: ...
