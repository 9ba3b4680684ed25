"""Pending approvals in Redis, expiring by themselves; closing one is GETDEL."""

from __future__ import annotations

import time

import redis.asyncio as redis

from bot.deploys.approvals import PendingApproval
from bot.model import Place, thread_key
from bot.stores import keys
from bot.stores.records import dumps, loads
from bot.stores.redis import translating


def _place_key(place: Place) -> str:
    # thread_key leaves out a slash command's response_url: it differs for every command (so an
    # approval asked with one could never be found with the next) and must not name a key.
    return keys.APPROVALS_AT + thread_key(place)


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
            pipe.set(_place_key(approval.origin), approval.id, ex=ttl)
            await pipe.execute()

    @translating
    async def latest_for(self, place: Place) -> PendingApproval | None:
        found = await self._redis.get(_place_key(place))
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
