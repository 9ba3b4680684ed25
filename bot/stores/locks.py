"""Locks as Redis hashes; taking and releasing one are single Lua scripts,
so two people can never both believe they hold the same scope."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from bot.deploys.model import Lock, LockScope
from bot.model import Person
from bot.stores import keys
from bot.stores.redis import fields, text, translating

# KEYS: the lock, the index. ARGV: holder handle, platform, id, reason, since.
ACQUIRE = """
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder == false or holder == ARGV[1] then
  redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'platform', ARGV[2], 'id', ARGV[3],
             'reason', ARGV[4], 'since', ARGV[5])
  redis.call('SADD', KEYS[2], KEYS[1])
end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: the lock, the index. ARGV: the holder's handle, or '' to release whoever holds it.
RELEASE = """
local held = redis.call('HGETALL', KEYS[1])
if #held == 0 then
  redis.call('SREM', KEYS[2], KEYS[1])
  return {}
end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return {}
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], KEYS[1])
return held
"""


def _key(scope: LockScope) -> str:
    return keys.lock(scope.environment, scope.service)


def _scope(key: str) -> LockScope:
    environment, _, service = key.removeprefix(keys.LOCK).rpartition(":")
    return LockScope(environment, None if service == "*" else service)


def _lock(key: str, flat: Any) -> Lock | None:
    if not flat:
        return None
    found = fields(flat)
    return Lock(
        scope=_scope(key),
        holder=Person(found["platform"], found["id"]),  # type: ignore[arg-type]
        reason=found.get("reason") or None,
        since=float(found["since"]),
    )


class RedisLockStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._acquire = client.register_script(ACQUIRE)
        self._release = client.register_script(RELEASE)

    @translating
    async def acquire(self, lock: Lock) -> Lock:
        key = _key(lock.scope)
        held = await self._acquire(
            keys=[key, keys.LOCKS],
            args=[lock.holder.handle, lock.holder.platform, lock.holder.id, lock.reason or "", lock.since],
        )
        result = _lock(key, held)
        assert result is not None  # the script always leaves a holder
        return result

    @translating
    async def release(self, scope: LockScope, holder: Person | None) -> Lock | None:
        key = _key(scope)
        return _lock(key, await self._release(keys=[key, keys.LOCKS], args=[holder.handle if holder else ""]))

    @translating
    async def holding(self, scope: LockScope) -> Lock | None:
        key = _key(scope)
        return _lock(key, await self._redis.hgetall(key))

    @translating
    async def all(self) -> list[Lock]:
        names = sorted(text(k) for k in await self._redis.smembers(keys.LOCKS))
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(name)
            found = await pipe.execute()
        return [lock for name, flat in zip(names, found, strict=True) if (lock := _lock(name, flat)) is not None]
