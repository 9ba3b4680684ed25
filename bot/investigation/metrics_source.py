"""What the ``query_metrics`` look asks of a metrics backend: PromQL, instant or over a range.

bot/clients/prometheus.py implements :class:`MetricsSource` over Prometheus's HTTP API
(``PROMETHEUS_URL``). Points are floats as Prometheus sends them, NaN and ±Inf included; the
summary decides what they mean. A query Prometheus refuses (bad PromQL, too many points) comes out
as :class:`bot.errors.UpstreamRejected` with Prometheus's own message, one it could not answer
(down, overloaded, timed out) as :class:`bot.errors.UpstreamUnavailable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Series:
    """One series: its labels (``__name__`` included when the query keeps it) and its points in time order."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)


@dataclass(frozen=True)
class QueryAnswer:
    series: tuple[Series, ...]
    warnings: tuple[str, ...] = field(default=())  # Prometheus's own, e.g. a query that hit a limit


class MetricsSource(Protocol):
    async def instant(self, query: str, at: float, *, budget_seconds: float) -> QueryAnswer:
        """``query`` evaluated at ``at`` (unix seconds); a scalar answer is one series without labels.
        ``budget_seconds`` is the most the backend may spend on it."""
        ...

    async def range(self, query: str, start: float, end: float, step: float, *, budget_seconds: float) -> QueryAnswer:
        """``query`` evaluated every ``step`` seconds from ``start`` to ``end`` (unix seconds)."""
        ...
