"""Where each conversation's todo list is kept: ``bot.stores.todos`` over Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.model import Place
from bot.todos.lists import Todo


class TodoStore(Protocol):
    async def save(self, place: Place, todos: Sequence[Todo]) -> None: ...

    async def load(self, place: Place) -> list[Todo]: ...
