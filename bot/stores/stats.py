"""Job outcomes and durations, kept in one Redis hash for the whole cluster.

Workers run in other processes (and pods) than the web server that answers
``/metrics``; counting in Redis lets one scrape see every worker's jobs.
Durations go into fixed histogram buckets, the same ones Prometheus uses.
"""

from __future__ import annotations

import redis.asyncio as redis

from bot.agent.language import Usage
from bot.stores import keys
from bot.stores.redis import translating

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TOKEN_BUCKETS = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144)


def _bucket(value: float, bounds: tuple[float, ...]) -> str:
    return next((str(b) for b in bounds if value <= b), "+Inf")


class RedisJobStats:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translating
    async def record(self, kind: str, outcome: str, seconds: float) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(keys.JOB_STATS, f"count|{kind}|{outcome}", 1)
            pipe.hincrbyfloat(keys.JOB_STATS, f"sum|{kind}", seconds)
            pipe.hincrby(keys.JOB_STATS, f"bucket|{kind}|{_bucket(seconds, BUCKETS)}", 1)
            await pipe.execute()

    @translating
    async def record_model_request(self, usage: Usage, outcome: str) -> None:
        """Tokens of one request to Claude; per-request sizes go into histograms by direction."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(keys.JOB_STATS, f"agent-requests|{outcome}", 1)
            if outcome == "ok":
                for kind, tokens in (
                    ("input", usage.input_tokens),
                    ("output", usage.output_tokens),
                    ("cache_read", usage.cache_read_tokens),
                    ("cache_write", usage.cache_write_tokens),
                ):
                    pipe.hincrby(keys.JOB_STATS, f"agent-tokens|{kind}", tokens)
                for direction, tokens in (("input", usage.prompt_tokens), ("output", usage.output_tokens)):
                    pipe.hincrby(keys.JOB_STATS, f"agent-bucket|{direction}|{_bucket(tokens, TOKEN_BUCKETS)}", 1)
                    pipe.hincrby(keys.JOB_STATS, f"agent-sum|{direction}", tokens)
            await pipe.execute()

    @translating
    async def snapshot(self) -> dict[str, float]:
        raw = await self._redis.hgetall(keys.JOB_STATS)
        return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}
