"""An in-memory ``TodoStore`` beside its Protocol: one list per thread, as the Redis store keeps it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.fakes import Clock, Expiring
from bot.model import Place, SlackThread, thread_key
from bot.todos.lists import Todo, from_json, has_open_items, to_json
from bot.todos.ports import KEEP_FOR, OPEN_THREADS_KEPT


class FakeTodoStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lists: Expiring[str, list[dict[str, Any]]] = Expiring(clock)
        self._open: dict[str, dict[str, float]] = {}  # channel -> thread ts -> when its list last changed

    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        # Through the same JSON form the Redis store writes, so what it drops is dropped here too.
        self._lists.put(thread_key(place), to_json(todos), KEEP_FOR)
        if isinstance(place, SlackThread) and place.thread_ts is not None:
            threads = self._open.setdefault(place.channel, {})
            threads.pop(place.thread_ts, None)
            if has_open_items(todos):
                threads[place.thread_ts] = self._clock()
            for ts, _ in sorted(threads.items(), key=lambda kv: (kv[1], kv[0]))[:-OPEN_THREADS_KEPT]:
                del threads[ts]

    async def load(self, place: Place) -> list[Todo]:
        found = self._lists.get(thread_key(place))
        return from_json(found) if found else []

    async def open_threads(self, channel: str) -> list[SlackThread]:
        oldest = self._clock() - KEEP_FOR
        threads = self._open.get(channel, {})
        newest_first = sorted(((at, ts) for ts, at in threads.items() if at >= oldest), reverse=True)
        return [SlackThread(channel, ts) for _, ts in newest_first]
