"""Each thread's todo list as one JSON value in Redis."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import redis.asyncio as redis

from bot.model import Place, earlier_thread_keys, thread_key
from bot.stores import keys
from bot.stores.redis import translating
from bot.todos.lists import Todo, from_json, to_json

KEEP_FOR = 90 * 24 * 3600  # a thread untouched for a quarter is done with


class RedisTodoStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        await self._redis.set(keys.todos(thread_key(place)), orjson.dumps(to_json(todos)), ex=KEEP_FOR)

    @translating
    async def load(self, place: Place) -> list[Todo]:
        # A list saved under an earlier name of the thread is read until the next save moves it.
        names = [thread_key(place), *earlier_thread_keys(place)]
        raw = next((found for found in await self._redis.mget([keys.todos(n) for n in names]) if found), None)
        return from_json(orjson.loads(raw)) if raw else []
