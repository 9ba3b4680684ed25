"""The door's dedupe records (``SET NX`` by the queue's enqueue script), read back."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as redis

from bot.stores import keys
from bot.stores.redis import translating


class RedisSeenEvents:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def seen(self, event_keys: Sequence[str]) -> set[str]:
        if not event_keys:
            return set()
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in event_keys:
                pipe.exists(keys.SEEN + key)
            found = await pipe.execute()
        return {key for key, exists in zip(event_keys, found, strict=True) if exists}
