"""Incidents in Redis: the record, its timeline (a list), and the lookups by channel and request."""

from __future__ import annotations

import json
from dataclasses import asdict

import redis.asyncio as redis

from bot.incidents.model import Event, Incident
from bot.stores import keys
from bot.stores.redis import text, translating

KEEP_FOR = 400 * 24 * 3600  # a year of incidents, for reviews and audits

# The timeline gets each event once, however often the job that adds it runs.
APPEND = """
if redis.call('sadd', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('rpush', KEYS[1], ARGV[2])
redis.call('expire', KEYS[1], ARGV[3])
redis.call('expire', KEYS[2], ARGV[3])
return 1
"""


class RedisIncidentStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._append = client.register_script(APPEND)

    @translating
    async def save(self, incident: Incident) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.INCIDENT + incident.id, incident.to_json(), ex=KEEP_FOR)
            if incident.channel:
                pipe.set(keys.INCIDENT_CHANNEL + incident.channel, incident.id, ex=KEEP_FOR)
            if incident.status == "open":
                pipe.sadd(keys.INCIDENTS_OPEN, incident.id)
            else:
                pipe.srem(keys.INCIDENTS_OPEN, incident.id)
            await pipe.execute()

    @translating
    async def get(self, incident_id: str) -> Incident | None:
        raw = await self._redis.get(keys.INCIDENT + incident_id)
        return Incident.from_json(raw) if raw else None

    @translating
    async def by_channel(self, channel: str) -> Incident | None:
        found = await self._redis.get(keys.INCIDENT_CHANNEL + channel)
        return await self.get(text(found)) if found else None

    @translating
    async def by_request(self, message_id: str) -> str | None:
        found = await self._redis.get(keys.INCIDENT_REQUEST + message_id)
        return text(found) if found else None

    @translating
    async def claim_request(self, message_id: str, incident_id: str) -> str:
        key = keys.INCIDENT_REQUEST + message_id
        await self._redis.set(key, incident_id, nx=True, ex=KEEP_FOR)
        return text(await self._redis.get(key) or incident_id)

    @translating
    async def open_ids(self) -> list[str]:
        return sorted(text(member) for member in await self._redis.smembers(keys.INCIDENTS_OPEN))

    @translating
    async def append(self, incident_id: str, event: Event) -> bool:
        added = await self._append(
            keys=[keys.INCIDENT_TIMELINE + incident_id, keys.INCIDENT_EVENT_REFS + incident_id],
            args=[event.ref, json.dumps(asdict(event)), KEEP_FOR],
        )
        return bool(added)

    @translating
    async def timeline(self, incident_id: str) -> list[Event]:
        found = await self._redis.lrange(keys.INCIDENT_TIMELINE + incident_id, 0, -1)
        return [Event(**json.loads(raw)) for raw in found]
