"""``query_metrics`` on a wide range query: 6 h of 200 series from a real, backfilled Prometheus.

The backend's time is the same ``/api/v1/query_range`` request made directly (its JSON read and
decoded); the look's time adds parsing every point and summarising, best of a few runs each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp

from bot.clients.prometheus import PrometheusClient
from bot.config import OpsConfig
from bot.investigation.metrics import MAX_POINTS, MAX_RANGE_MINUTES, QueryMetrics
from bot.model import ChatMessage, ConsoleThread, Person
from tests.bench.looks import LookMeasure, emulator_tokens
from tests.metrics_scenario import api_slow_after_deploy, backfilled_prometheus

SERIES = 200
RUNS = 5
QUERY = 'bench_latency_seconds{service="bench"}'
ASKED = ChatMessage("bench", Person("console", "U_BENCH"), ConsoleThread("C_BENCH"), "why?", "mention")


async def _measure(url: str, now: float) -> LookMeasure:
    look = QueryMetrics(PrometheusClient(url), OpsConfig.parse({}), clock=lambda: now)
    span = MAX_RANGE_MINUTES * 60
    step = -(-span // MAX_POINTS)
    form = {"query": QUERY, "start": f"{now - span:.3f}", "end": f"{now:.3f}", "step": str(step)}
    backend, whole, result = float("inf"), float("inf"), ""
    async with aiohttp.ClientSession() as session:
        for _ in range(RUNS):
            started = time.perf_counter()
            async with session.post(f"{url}/api/v1/query_range", data=form) as answer:
                found = len((await answer.json())["data"]["result"])
            backend = min(backend, time.perf_counter() - started)
            started = time.perf_counter()
            result = await look.run(ASKED, {"query": QUERY, "range_minutes": MAX_RANGE_MINUTES})
            whole = min(whole, time.perf_counter() - started)
    if found != SERIES:
        raise RuntimeError(f"the backfilled Prometheus answered {found} series, not {SERIES}")
    return LookMeasure("query_metrics", f"range query, 6 h x {SERIES} series", emulator_tokens(result),
                       backend * 1000, whole * 1000)  # fmt: skip


def metrics_benches() -> Sequence[LookMeasure]:
    scenario = api_slow_after_deploy(extra_series=SERIES)
    with backfilled_prometheus(scenario) as url:
        return [asyncio.run(_measure(url, scenario.end + 30))]
