"""Where each conversation's todo list is kept: ``bot.stores.todos`` over Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.model import Place
from bot.todos.lists import Todo


class TodoStore(Protocol):
    async def save(self, place: Place, todos: Sequence[Todo]) -> None: ...

    async def load(self, place: Place) -> list[Todo]: ...


class IncidentIssue(Protocol):
    """The tracking issue of the incident whose channel ``place`` is in, if any: an incident channel's todos
    are one list, mirrored there. Incidents answer it, as the composition root wires it."""

    async def __call__(self, place: Place) -> Place | None: ...
