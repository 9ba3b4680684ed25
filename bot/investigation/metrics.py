"""``query_metrics``: PromQL against the configured Prometheus, summarised per series, never raw points.

Bounds, stated in the tool's description and refused in plain words: a range of at most
:data:`MAX_RANGE_MINUTES`, at most :data:`MAX_POINTS` points per series (a smaller step is raised
and the answer says so), a query of at most :data:`MAX_QUERY_CHARS` characters, and a timeout
Prometheus itself enforces, below the look's own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.config import OpsConfig
from bot.errors import CommandError
from bot.investigation.looks import LOOK_TIMEOUT, RESULT_LIMIT, LookSpec, bounded
from bot.investigation.metrics_source import MetricsSource, QueryAnswer
from bot.investigation.series_summary import Window, summarise
from bot.investigation.shown import quoted, utc_minute
from bot.model import ChatMessage

MAX_RANGE_MINUTES = 360
MAX_POINTS = 240  # per series: enough to see a trend and a jump, far fewer than Prometheus's 11,000
MIN_STEP_SECONDS = 1
MAX_QUERY_CHARS = 1_000
QUERY_TIMEOUT = LOOK_TIMEOUT / 2  # passed to Prometheus, so it stops working when we stop waiting


def starting_matchers(config: OpsConfig) -> str:
    """Per service the label matchers its series carry (``Service.metrics``), sorted: stable bytes."""
    parts = []
    for name in sorted(config.services):
        labels = config.services[name].metrics
        inner = ",".join(f"{label}={quoted(labels[label])}" for label in sorted(labels))
        parts.append(f"{name} {{{inner}}}")
    return "; ".join(parts)


def _text(answer: QueryAnswer, window: Window | None, notes: Sequence[str]) -> str:
    head = [*notes, *(f"Prometheus warning: {quoted(w)}" for w in answer.warnings[:3])]
    budget = RESULT_LIMIT - sum(len(line) + 1 for line in head) - 100
    return bounded("\n".join([*head, *summarise(answer.series, window, budget=budget)]))


def _integer(given: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = given.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(f"`{name}` must be a whole number")
    if not low <= value <= high:
        raise CommandError(f"`{name}` must be between {low} and {high}, got {value}")
    return value


class QueryMetrics:
    """The ``query_metrics`` look over a :class:`MetricsSource`."""

    def __init__(self, source: MetricsSource, config: OpsConfig, clock: Callable[[], float] = time.time) -> None:
        self._source = source
        self._clock = clock
        matchers = starting_matchers(config)
        self.spec = LookSpec(
            name="query_metrics",
            backend="Prometheus",
            description=(
                "PromQL against Prometheus; summarised per series (min/max/last, trend, jumps with UTC times), "
                f"never raw points. Without range_minutes an instant query now; range_minutes at most "
                f"{MAX_RANGE_MINUTES}, at most {MAX_POINTS} points per series (a smaller step is raised), "
                f"query at most {MAX_QUERY_CHARS} characters. Services' series carry: {matchers}."
            ),
            properties={
                "query": {"type": "string", "description": "PromQL"},
                "range_minutes": {"type": "integer", "minimum": 1, "maximum": MAX_RANGE_MINUTES},
                "step_seconds": {"type": "integer", "minimum": MIN_STEP_SECONDS},
            },
            required=("query",),
        )

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        query = given.get("query")
        if not isinstance(query, str) or not query.strip():
            raise CommandError("`query` must be a PromQL expression")
        if len(query) > MAX_QUERY_CHARS:
            raise CommandError(f"the query is {len(query)} characters; at most {MAX_QUERY_CHARS}")
        minutes = _integer(given, "range_minutes", 1, MAX_RANGE_MINUTES)
        step = _integer(given, "step_seconds", MIN_STEP_SECONDS, MAX_RANGE_MINUTES * 60)
        now = self._clock()
        if minutes is None:
            if step is not None:
                raise CommandError("`step_seconds` needs `range_minutes` (without it the query is instant)")
            answer = await self._source.instant(query, now, budget_seconds=QUERY_TIMEOUT)
            return _text(answer, None, [f"Instant query at {utc_minute(now)}."])
        span = minutes * 60
        least = math.ceil(span / MAX_POINTS)
        notes = []
        if step is None:
            step = least
        elif step < least:
            notes.append(f"step raised from {step}s to {least}s (at most {MAX_POINTS} points per series)")
            step = least
        start = now - span
        notes.insert(0, f"Range {utc_minute(start)} to {utc_minute(now)}, step {step}s.")
        answer = await self._source.range(query, start, now, step, budget_seconds=QUERY_TIMEOUT)
        return _text(answer, Window(start, now, step), notes)
