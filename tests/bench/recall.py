"""Memory recall with 10,000 memories in one scope: p50/p99 against the 5 ms goal.

A plain Redis PING round trip is measured in the same run, as the floor no
recall can beat. Memories and queries come from a fixed ops vocabulary with
a seeded random generator, so every run asks the same questions.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass

import redis.asyncio as redis

from bot.memory.memories import Memories, digest, words
from bot.memory.model import Memory, new_id
from bot.stores.memory import RedisMemoryStore
from handlers.app import settle_heap

MEMORIES = 10_000
QUERIES = 300
SCOPE = "global"
GOAL_P99_MS = 5.0
TYPES = ("pattern", "architecture", "guideline", "mistake", "strategy", "integration", "performance", "context")
VOCABULARY = [
    "api",
    "web",
    "worker",
    "billing",
    "search",
    "checkout",
    "auth",
    "gateway",
    "postgres",
    "redis",
    "kafka",
    "nginx",
    "ingress",
    "kubernetes",
    "helm",
    "terraform",
    "staging",
    "production",
    "canary",
    "blue-green",
    "rollback",
    "migration",
    "failover",
    "replica",
    "backup",
    "snapshot",
    "latency",
    "throughput",
    "memory",
    "cpu",
    "disk",
    "quota",
    "autoscaling",
    "alert",
    "dashboard",
    "grafana",
    "prometheus",
    "tracing",
    "logs",
    "certificate",
    "dns",
    "cdn",
    "cache",
    "queue",
    "timeout",
    "retry",
    "deploy",
    "pipeline",
    "runner",
    "artifact",
    "image",
    "registry",
    "secret",
    "vault",
    "token",
    "rotation",
    "incident",
    "oncall",
]


@dataclass(frozen=True)
class RecallResult:
    p50_ms: float
    p99_ms: float
    ping_p99_ms: float
    recalled_per_query: float


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.sample(VOCABULARY, rng.randint(5, 12)))


async def _fill(store: RedisMemoryStore, rng: random.Random) -> None:
    now = time.time()
    batch: list[asyncio.Future[Memory] | asyncio.Task[Memory]] = []
    for n in range(MEMORIES):
        content = f"{_sentence(rng)} ({n})"  # the number keeps every memory distinct
        memory = Memory(new_id(), SCOPE, rng.choice(TYPES), content, "bench", "import", now, now)  # type: ignore[arg-type]
        batch.append(asyncio.ensure_future(store.add(memory, digest(content), words(content))))
        if len(batch) == 50:  # redis-py refuses, rather than waits, past its pool size
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure_recall(redis_url: str) -> RecallResult:
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", max_connections=64)  # its own database
    try:
        await client.flushdb()
        store = RedisMemoryStore(client)
        rng = random.Random(7)
        await _fill(store, rng)
        memories = Memories(store, time.time)
        settle_heap()  # as the worker runs: start-up objects out of the collector's way
        pings: list[float] = []
        for _ in range(200):
            started = time.perf_counter()
            await client.ping()
            pings.append((time.perf_counter() - started) * 1000)
        timings: list[float] = []
        recalled: list[int] = []
        for n in range(QUERIES + 20):
            query = " ".join(rng.sample(VOCABULARY, rng.randint(3, 8)))
            started = time.perf_counter()
            found = await memories.recall([SCOPE], query, budget=1_500)
            elapsed = (time.perf_counter() - started) * 1000
            if n >= 20:  # the first few warm the connection and the scripts
                timings.append(elapsed)
                recalled.append(len(found))
        return RecallResult(_p(timings, 0.5), _p(timings, 0.99), _p(pings, 0.99), statistics.mean(recalled))
    finally:
        await client.flushdb()
        await client.aclose()


def recall_report(result: RecallResult) -> str:
    met = result.p99_ms <= GOAL_P99_MS
    return "\n".join(
        [
            f"Memory recall, {MEMORIES:,} memories in one scope, {QUERIES} queries, 1,500-token budget",
            f"  recall p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  "
            f"(Redis PING p99 {result.ping_p99_ms:.2f} ms)  memories per answer {result.recalled_per_query:.1f}",
            f"VERDICT memory recall: {'MET' if met else 'MISSED'} — p99 {result.p99_ms:.2f} ms (≤ {GOAL_P99_MS:.0f})",
        ]
    )
