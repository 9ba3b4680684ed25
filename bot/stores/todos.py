"""Each thread's todo list as one JSON value in Redis, and per Slack channel the threads with open todos."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import orjson
import redis.asyncio as redis

from bot.model import Place, SlackThread, earlier_thread_keys, thread_key
from bot.stores import keys
from bot.stores.redis import translating
from bot.todos.lists import Todo, from_json, has_open_items, to_json
from bot.todos.ports import KEEP_FOR, OPEN_THREADS_KEPT


class RedisTodoStore:
    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self._clock = clock

    @translating
    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        async with self._redis.pipeline(transaction=True) as batch:
            batch.set(keys.todos(thread_key(place)), orjson.dumps(to_json(todos)), ex=KEEP_FOR)
            if isinstance(place, SlackThread) and place.thread_ts is not None:
                index = keys.todo_threads(place.channel)
                if has_open_items(todos):
                    batch.zadd(index, {place.thread_ts: self._clock()})
                    batch.zremrangebyrank(index, 0, -OPEN_THREADS_KEPT - 1)  # the oldest beyond the bound go
                    batch.expire(index, KEEP_FOR)
                else:
                    batch.zrem(index, place.thread_ts)
            await batch.execute()

    @translating
    async def load(self, place: Place) -> list[Todo]:
        # A list saved under an earlier name of the thread is read until the next save moves it.
        names = [thread_key(place), *earlier_thread_keys(place)]
        raw = next((found for found in await self._redis.mget([keys.todos(n) for n in names]) if found), None)
        return from_json(orjson.loads(raw)) if raw else []

    @translating
    async def open_threads(self, channel: str) -> list[SlackThread]:
        found = await self._redis.zrevrangebyscore(keys.todo_threads(channel), "+inf", self._clock() - KEEP_FOR)
        return [SlackThread(channel, ts.decode() if isinstance(ts, bytes) else str(ts)) for ts in found]
