"""The audit trail as a capped Redis stream."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from bot.deploys.audit import AuditEntry
from bot.model import Person
from bot.stores import keys
from bot.stores.redis import fields, translating

MAX_ENTRIES = 50_000  # approximately; trimmed as Redis finds convenient
SCAN_LIMIT = 1_000  # newest entries looked through when filtering by service


class RedisAuditLog:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def record(self, entry: AuditEntry) -> None:
        await self._redis.xadd(
            keys.AUDIT,
            {
                "action": entry.action,
                "platform": entry.actor.platform,
                "actor": entry.actor.id,
                "detail": entry.detail,
                "at": entry.at,
                "environment": entry.environment or "",
                "service": entry.service or "",
            },
            maxlen=MAX_ENTRIES,
            approximate=True,
        )

    @translating
    async def recent(self, limit: int, *, service: str | None = None) -> list[AuditEntry]:
        found: list[AuditEntry] = []
        entries: Any = await self._redis.xrevrange(keys.AUDIT, count=limit if service is None else SCAN_LIMIT)
        for _, raw in entries:
            entry = fields(raw)
            if service is not None and entry["service"] not in ("", service):
                continue
            found.append(
                AuditEntry(
                    action=entry["action"],
                    actor=Person(entry["platform"], entry["actor"]),  # type: ignore[arg-type]
                    detail=entry["detail"],
                    at=float(entry["at"]),
                    environment=entry["environment"] or None,
                    service=entry["service"] or None,
                )
            )
            if len(found) >= limit:
                break
        return found
