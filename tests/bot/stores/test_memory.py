"""Memories in Redis: what the contract tests can't show, because the fake has no history."""

from __future__ import annotations

import redis.asyncio as redis

from bot.memory.memories import digest, words
from bot.memory.model import Memory
from bot.stores import keys
from bot.stores.memory import RedisMemoryStore


async def test_memories_kept_before_the_recall_order_existed_are_evicted_in_it(redis_client: redis.Redis) -> None:
    store = RedisMemoryStore(redis_client)
    for n, uses in ((1, 4), (2, 0), (3, 1)):
        content = f"lesson number {n}"
        await store.add(
            Memory(f"m-0{n}", "global", "context", content, "U1", "command", n, n, uses),
            digest(content),
            words(content),
        )
    await redis_client.delete(keys.MEMORIES_BY_USE + "global")  # as an earlier release left them
    assert [m.id for m in await store.least_recalled("global", 2)] == ["m-02", "m-03"]
    assert await redis_client.zcard(keys.MEMORIES_BY_USE + "global") == 3
