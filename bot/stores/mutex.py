"""Named mutexes in Redis: SET NX with a random token, released only by its holder."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis

from bot.errors import Busy
from bot.stores import keys
from bot.stores.redis import store_call

# A holder that dies leaves the mutex for this long; every section it guards
# is a few forge calls, well under it.
HOLD_FOR = 30.0
WAIT_FOR = 10.0
POLL = 0.05

# Delete only if we still hold it: after HOLD_FOR another worker may have it.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisMutexes:
    def __init__(self, client: redis.Redis, *, hold_for: float = HOLD_FOR, wait_for: float = WAIT_FOR) -> None:
        self._redis = client
        self._hold_for = hold_for
        self._wait_for = wait_for
        self._release = client.register_script(RELEASE)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        key, token = keys.MUTEX + name, os.urandom(12).hex()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait_for
        async with store_call():
            while not await self._redis.set(key, token, nx=True, px=int(self._hold_for * 1000)):
                if loop.time() >= give_up:
                    raise Busy(f"another worker is still updating {name}")
                await asyncio.sleep(POLL)
        try:
            yield
        finally:
            async with store_call():
                await self._release(keys=[key], args=[token])
