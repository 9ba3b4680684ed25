"""Deployments opsbot created, with their history per service and environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import WatchError

from bot.deploys.model import Deployment, InFlight
from bot.stores import keys
from bot.stores.records import dumps, loads
from bot.stores.redis import translating

KEEP = 90 * 24 * 3600  # seconds a deployment record is kept
HISTORY = 200  # deployments kept per service and environment
LINGER = 60  # seconds Redis keeps a lapsed claim past its ``until`` (the clock decides, Redis tidies)

# Take the claim unless another token holds it and its time hasn't run out; renew it if ours.
# One script, so two workers can't both see it free.
CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then
  local holder = cjson.decode(current)
  if holder['token'] ~= ARGV[1] and tonumber(holder['until']) > tonumber(ARGV[2]) then
    return current
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return false
"""
# Delete the claim only if it is still the one named (by token or by deployment key).
RELEASE = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)[ARGV[1]] == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def decode(raw: bytes | str) -> Deployment:
    return loads(Deployment, raw, people=("requester",), places=("origin",))


def _decode_flight(raw: bytes | str) -> InFlight:
    return loads(InFlight, raw, people=("requester",), places=("origin",))


class RedisDeploymentStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._claim = client.register_script(CLAIM)
        self._release = client.register_script(RELEASE)

    @translating
    async def save(self, deployment: Deployment) -> None:
        history = keys.deploy_history(deployment.service, deployment.environment)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.DEPLOYMENT + deployment.key, dumps(deployment), ex=KEEP)
            pipe.zadd(history, {deployment.key: deployment.created_at})
            pipe.zremrangebyrank(history, 0, -HISTORY - 1)
            await pipe.execute()

    @translating
    async def get(self, key: str) -> Deployment | None:
        raw = await self._redis.get(keys.DEPLOYMENT + key)
        return decode(raw) if raw is not None else None

    @translating
    async def update(
        self, key: str, change: Callable[[Deployment], Deployment]
    ) -> tuple[Deployment, Deployment] | None:
        # WATCH, read, decide, MULTI/SET: if another worker wrote the record meanwhile, EXEC
        # fails and the change is decided again on what that worker wrote.
        name = keys.DEPLOYMENT + key
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(name)
                    raw = await pipe.get(name)
                    if raw is None:
                        return None
                    before = decode(raw)
                    after = change(before)
                    if after is before:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return before, after
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(name, dumps(after), keepttl=True)
                    await pipe.execute()
                    return before, after
                except WatchError:
                    continue

    @translating
    async def history(self, service: str, environment: str, limit: int) -> list[Deployment]:
        found: list[Any] = await self._redis.zrevrange(keys.deploy_history(service, environment), 0, limit - 1)
        if not found:
            return []
        raws = await self._redis.mget([keys.DEPLOYMENT + (k.decode() if isinstance(k, bytes) else k) for k in found])
        return [decode(raw) for raw in raws if raw is not None]

    @translating
    async def claim(self, flight: InFlight, now: float) -> InFlight | None:
        ttl_ms = int((max(flight.until - now, 0.0) + LINGER) * 1000)
        key = keys.deploying(flight.service, flight.environment)
        holder = await self._claim(keys=[key], args=[flight.token, repr(now), dumps(flight), ttl_ms])
        return _decode_flight(holder) if holder else None

    @translating
    async def release(
        self, service: str, environment: str, *, token: str | None = None, deployment: str | None = None
    ) -> None:
        field, value = ("token", token) if token is not None else ("deployment", deployment)
        if value is not None:
            await self._release(keys=[keys.deploying(service, environment)], args=[field, value])

    @translating
    async def in_flight(self, service: str, environment: str) -> InFlight | None:
        raw = await self._redis.get(keys.deploying(service, environment))
        return _decode_flight(raw) if raw is not None else None
