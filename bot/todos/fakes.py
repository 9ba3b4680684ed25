"""An in-memory ``TodoStore`` beside its Protocol: one list per thread, as the Redis store keeps it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.fakes import Clock, Expiring
from bot.model import Place, thread_key
from bot.todos.lists import Todo, from_json, to_json

KEEP_FOR = 90 * 24 * 3600  # a thread untouched for a quarter is done with


class FakeTodoStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._lists: Expiring[str, list[dict[str, Any]]] = Expiring(clock)

    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        # Through the same JSON form the Redis store writes, so what it drops is dropped here too.
        self._lists.put(thread_key(place), to_json(todos), KEEP_FOR)

    async def load(self, place: Place) -> list[Todo]:
        found = self._lists.get(thread_key(place))
        return from_json(found) if found else []
