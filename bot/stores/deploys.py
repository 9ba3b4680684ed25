"""Deployments opsbot created, with their history per service and environment."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from bot.deploys import Deployment
from bot.stores import keys
from bot.stores.records import dumps, loads
from bot.stores.redis import translating

KEEP = 90 * 24 * 3600  # seconds a deployment record is kept
HISTORY = 200  # deployments kept per service and environment


def decode(raw: bytes | str) -> Deployment:
    return loads(Deployment, raw, people=("requester",), places=("origin",))


class RedisDeploymentStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def save(self, deployment: Deployment) -> None:
        history = f"{keys.DEPLOY_HISTORY}{deployment.service}:{deployment.environment}"
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
    async def history(self, service: str, environment: str, limit: int) -> list[Deployment]:
        found: list[Any] = await self._redis.zrevrange(f"{keys.DEPLOY_HISTORY}{service}:{environment}", 0, limit - 1)
        if not found:
            return []
        raws = await self._redis.mget([keys.DEPLOYMENT + (k.decode() if isinstance(k, bytes) else k) for k in found])
        return [decode(raw) for raw in raws if raw is not None]

    @translating
    async def claim_creation(self, service: str, environment: str, ttl: float) -> bool:
        return bool(
            await self._redis.set(f"{keys.DEPLOYING}{service}:{environment}", b"1", nx=True, px=int(ttl * 1000))
        )

    @translating
    async def release_creation(self, service: str, environment: str) -> None:
        await self._redis.delete(f"{keys.DEPLOYING}{service}:{environment}")
