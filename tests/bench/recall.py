"""Memory recall with 10,000 memories per scope: one scope against 5 ms, four against 10 ms (p99).

A task recalls from every scope that applies to it: team, service, repository
and channel, so the second case asks four scopes of 10,000 memories each at
once. A plain Redis PING round trip is measured in the same run, as the floor
no recall can beat. Memories and queries come from a fixed ops vocabulary with
a seeded random generator, so every run asks the same questions.

``python -m tests.bench.recall`` runs this part alone.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as redis

from bot.memory.memories import Memories, digest, words
from bot.memory.model import Memory, new_id
from bot.stores.memory import RedisMemoryStore
from handlers.app import settle_heap
from tests.redis_server import redis_server

MEMORIES = 10_000  # per scope
QUERIES = 300
BUDGET = 1_500  # tokens, as the agent's first message spends on memories
ONE_SCOPE = ("global",)
FOUR_SCOPES = ("global", "service:api", "repo:acme/api", "channel:C_OPS")  # what a Slack or PR task recalls
GOAL_ONE_P99_MS = 5.0
GOAL_FOUR_P99_MS = 10.0
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
class Timings:
    p50_ms: float
    p99_ms: float
    recalled_per_query: float


@dataclass(frozen=True)
class RecallResult:
    one_scope: Timings
    four_scopes: Timings
    ping_p99_ms: float


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.sample(VOCABULARY, rng.randint(5, 12)))


async def _fill(store: RedisMemoryStore, scope: str, rng: random.Random) -> None:
    now = time.time()
    batch: list[asyncio.Future[Memory] | asyncio.Task[Memory]] = []
    for n in range(MEMORIES):
        content = f"{_sentence(rng)} ({n})"  # the number keeps every memory distinct
        memory = Memory(new_id(), scope, rng.choice(TYPES), content, "bench", "import", now, now)  # type: ignore[arg-type]
        batch.append(asyncio.ensure_future(store.add(memory, digest(content), words(content))))
        if len(batch) == 50:  # redis-py refuses, rather than waits, past its pool size
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _ping_p99(client: redis.Redis) -> float:
    pings: list[float] = []
    for _ in range(200):
        started = time.perf_counter()
        await client.ping()
        pings.append((time.perf_counter() - started) * 1000)
    return _p(pings, 0.99)


async def _time_recall(memories: Memories, scopes: Sequence[str], rng: random.Random) -> Timings:
    timings: list[float] = []
    recalled: list[int] = []
    for n in range(QUERIES + 20):
        query = " ".join(rng.sample(VOCABULARY, rng.randint(3, 8)))
        started = time.perf_counter()
        found = await memories.recall(scopes, query, budget=BUDGET)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= 20:  # the first few warm the connection and the scripts
            timings.append(elapsed)
            recalled.append(len(found))
    return Timings(_p(timings, 0.5), _p(timings, 0.99), statistics.mean(recalled))


async def measure_recall(redis_url: str) -> RecallResult:
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", max_connections=64)  # its own database
    try:
        await client.flushdb()
        store = RedisMemoryStore(client)
        rng = random.Random(7)
        for scope in FOUR_SCOPES:
            await _fill(store, scope, rng)
        memories = Memories(store, time.time)
        settle_heap()  # as the worker runs: start-up objects out of the collector's way
        ping_p99 = await _ping_p99(client)
        one = await _time_recall(memories, ONE_SCOPE, rng)
        four = await _time_recall(memories, FOUR_SCOPES, rng)
        return RecallResult(one, four, ping_p99)
    finally:
        await client.flushdb()
        await client.aclose()


def _line(name: str, timings: Timings) -> str:
    return (
        f"  {name}: recall p50 {timings.p50_ms:.2f} ms  p99 {timings.p99_ms:.2f} ms  "
        f"memories per answer {timings.recalled_per_query:.1f}"
    )


def _verdict(name: str, timings: Timings, goal_ms: float) -> str:
    met = timings.p99_ms <= goal_ms
    return f"VERDICT {name}: {'MET' if met else 'MISSED'} — p99 {timings.p99_ms:.2f} ms (≤ {goal_ms:.0f})"


def recall_report(result: RecallResult) -> str:
    return "\n".join(
        [
            f"Memory recall, {MEMORIES:,} memories per scope, {QUERIES} queries, {BUDGET:,}-token budget "
            f"(Redis PING p99 {result.ping_p99_ms:.2f} ms)",
            _line("one scope  ", result.one_scope),
            _line("four scopes", result.four_scopes),
            _verdict("memory recall", result.one_scope, GOAL_ONE_P99_MS),
            _verdict("memory recall, four scopes", result.four_scopes, GOAL_FOUR_P99_MS),
        ]
    )


def main() -> None:
    with redis_server() as redis_url:
        print(recall_report(asyncio.run(measure_recall(redis_url))))


if __name__ == "__main__":
    main()
