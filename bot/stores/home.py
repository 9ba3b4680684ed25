"""Who opened their Home lately, as a sorted set scored by when that stops counting; and the one
scheduled refresh of them all, as a key set with NX so a burst of changes schedules it once."""

from __future__ import annotations

import redis.asyncio as redis

from bot.home.ports import VIEWERS_KEPT
from bot.stores import keys
from bot.stores.redis import text, translating


class RedisHomeViewers:
    def __init__(self, client: redis.Redis, *, kept: int = VIEWERS_KEPT) -> None:
        self._redis = client
        self._kept = kept

    @translating
    async def seen(self, user: str, until: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(keys.HOME_VIEWERS, {user: until})
            pipe.zremrangebyrank(keys.HOME_VIEWERS, 0, -self._kept - 1)  # the lowest scores go first
            await pipe.execute()

    @translating
    async def recent(self, now: float) -> list[str]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(keys.HOME_VIEWERS, "-inf", now)
            pipe.zrangebyscore(keys.HOME_VIEWERS, f"({now}", "+inf")
            _, found = await pipe.execute()
        return sorted(text(user) for user in found)

    @translating
    async def hold_refresh(self, seconds: float) -> bool:
        # In milliseconds: the hold must end no later than the refresh it scheduled reads (see bot.home.homes).
        return bool(await self._redis.set(keys.HOME_REFRESH, "1", nx=True, px=max(1, int(seconds * 1000))))
