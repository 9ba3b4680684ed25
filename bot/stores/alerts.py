"""Alert groups in Redis: one JSON value per group, named by a digest of its group key."""

from __future__ import annotations

import orjson
import redis.asyncio as redis

from bot.alerts.ports import KEEP_FOR, AlertGroup, group_id
from bot.stores import keys
from bot.stores.redis import translating


class RedisAlertGroupStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def load(self, group: str) -> AlertGroup | None:
        raw = await self._redis.get(keys.alert_group(group))
        return AlertGroup.from_json(orjson.loads(raw)) if raw else None

    @translating
    async def save(self, group: AlertGroup) -> None:
        await self._redis.set(keys.alert_group(group_id(group.group_key)), orjson.dumps(group.to_json()), ex=KEEP_FOR)
