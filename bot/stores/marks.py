"""Short-lived facts in Redis ("this reply was sent"), each with a TTL."""

from __future__ import annotations

import redis.asyncio as redis

from bot.stores import keys
from bot.stores.redis import translating


class RedisMarks:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def get(self, key: str) -> str | None:
        value = await self._redis.get(keys.MARK + key)
        return value.decode() if isinstance(value, bytes) else value

    @translating
    async def set(self, key: str, ttl: float, value: str = "1") -> None:
        await self._redis.set(keys.MARK + key, value, ex=max(1, int(ttl)))
