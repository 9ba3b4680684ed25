"""Short-lived facts in Redis ("this reply was sent"), each with a TTL."""

from __future__ import annotations

import redis.asyncio as redis

from bot.stores import keys
from bot.stores.redis import translating


class RedisMarks:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def is_set(self, key: str) -> bool:
        return bool(await self._redis.exists(keys.MARK + key))

    @translating
    async def set(self, key: str, ttl: float) -> None:
        await self._redis.set(keys.MARK + key, b"1", ex=max(1, int(ttl)))
