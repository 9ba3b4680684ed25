"""Pending approvals in Redis, expiring by themselves; closing one is GETDEL."""

from __future__ import annotations

import time

import redis.asyncio as redis

from bot.deploys.approvals import PendingApproval
from bot.model import Place, earlier_thread_keys, thread_key
from bot.stores import keys
from bot.stores.records import dumps, loads
from bot.stores.redis import translating


def _decode(raw: bytes | str) -> PendingApproval:
    return loads(PendingApproval, raw, people=("requester",), places=("origin",))


class RedisApprovalStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def open(self, approval: PendingApproval) -> None:
        ttl = max(1, int(approval.expires_at - time.time()))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.APPROVAL + approval.id, dumps(approval), ex=ttl)
            pipe.set(keys.approvals_at(thread_key(approval.origin)), approval.id, ex=ttl)
            await pipe.execute()

    @translating
    async def latest_for(self, place: Place) -> PendingApproval | None:
        # An approval opened under an earlier name of the thread is found until it expires.
        names = [thread_key(place), *earlier_thread_keys(place)]
        found = next((f for f in await self._redis.mget([keys.approvals_at(n) for n in names]) if f), None)
        if found is None:
            return None
        return await self.get(found.decode() if isinstance(found, bytes) else found)

    @translating
    async def get(self, approval_id: str) -> PendingApproval | None:
        raw = await self._redis.get(keys.APPROVAL + approval_id)
        return _decode(raw) if raw is not None else None

    @translating
    async def close(self, approval_id: str) -> PendingApproval | None:
        raw = await self._redis.getdel(keys.APPROVAL + approval_id)
        return _decode(raw) if raw is not None else None
