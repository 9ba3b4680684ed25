"""Job outcomes and durations, kept in one Redis hash for the whole cluster.

Workers run in other processes (and pods) than the web server that answers
``/metrics``; counting in Redis lets one scrape see every worker's jobs.
Durations go into fixed histogram buckets, the same ones Prometheus uses.
"""

from __future__ import annotations

import redis.asyncio as redis

from bot.stores import keys
from bot.stores.redis import translating

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class RedisJobStats:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def record(self, kind: str, outcome: str, seconds: float) -> None:
        bucket = next((b for b in BUCKETS if seconds <= b), None)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(keys.JOB_STATS, f"count|{kind}|{outcome}", 1)
            pipe.hincrbyfloat(keys.JOB_STATS, f"sum|{kind}", seconds)
            pipe.hincrby(keys.JOB_STATS, f"bucket|{kind}|{bucket if bucket is not None else '+Inf'}", 1)
            await pipe.execute()

    @translating
    async def snapshot(self) -> dict[str, float]:
        raw = await self._redis.hgetall(keys.JOB_STATS)
        return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}
