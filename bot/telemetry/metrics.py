"""Prometheus metrics for one process, plus the cluster-wide job numbers.

Counters for inbound events live in the web process. Queue depth and job
outcomes are read from the store at scrape time, so every worker's jobs
show up in the web process's ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.jobs.ports import QueueDepth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Snapshot(Collector):
    """Exposes the values fetched from the store just before a scrape."""

    def __init__(self) -> None:
        self.depth: QueueDepth | None = None
        self.jobs: Mapping[str, float] = {}

    def collect(self) -> Iterable[Metric]:
        if self.depth is not None:
            gauge = GaugeMetricFamily("opsbot_queue_depth", "Jobs in the queue by state", labels=["state"])
            gauge.add_metric(["ready"], self.depth.ready)
            gauge.add_metric(["in_flight"], self.depth.in_flight)
            gauge.add_metric(["delayed"], self.depth.delayed)
            yield gauge
        yield from _job_families(self.jobs)
        yield from _agent_families(self.jobs)


def _job_families(stats: Mapping[str, float]) -> Iterable[Metric]:
    outcomes = CounterMetricFamily("opsbot_jobs", "Jobs finished by kind and outcome", labels=["kind", "outcome"])
    failures = CounterMetricFamily("opsbot_job_failures", "Jobs that failed for good, by kind", labels=["kind"])
    buckets: dict[str, dict[str, float]] = {}
    sums: dict[str, float] = {}
    for key, value in stats.items():
        part, _, rest = key.partition("|")
        if part == "count":
            kind, _, outcome = rest.partition("|")
            outcomes.add_metric([kind, outcome], value)
            if outcome == "failed":
                failures.add_metric([kind], value)
        elif part == "sum":
            sums[rest] = value
        elif part == "bucket":
            kind, _, bound = rest.partition("|")
            buckets.setdefault(kind, {})[bound] = value
    yield outcomes
    yield failures
    duration = HistogramMetricFamily("opsbot_job_duration_seconds", "Time spent running jobs", labels=["kind"])
    for kind, by_bound in buckets.items():
        duration.add_metric([kind], _cumulative(by_bound), sum_value=sums.get(kind, 0.0))
    yield duration


def _cumulative(by_bound: Mapping[str, float]) -> list[tuple[str, float]]:
    """Per-bucket counts (as stored) into Prometheus's cumulative buckets."""
    finite = sorted((float(b), n) for b, n in by_bound.items() if b != "+Inf")
    cumulative: list[tuple[str, float]] = []
    running = 0.0
    for upper, count in finite:
        running += count
        cumulative.append((str(upper), running))
    running += by_bound.get("+Inf", 0.0)
    cumulative.append(("+Inf", running))
    return cumulative


def _agent_families(stats: Mapping[str, float]) -> Iterable[Metric]:
    requests = CounterMetricFamily(
        "opsbot_agent_requests", "Requests to Claude by outcome (ok, retried, failed)", labels=["outcome"]
    )
    tokens = CounterMetricFamily(
        "opsbot_agent_tokens",
        "Tokens of requests to Claude, by kind (cache_read: served from the prompt cache)",
        labels=["kind"],
    )
    buckets: dict[str, dict[str, float]] = {}
    sums: dict[str, float] = {}
    for key, value in stats.items():
        part, _, rest = key.partition("|")
        if part == "agent-requests":
            requests.add_metric([rest], value)
        elif part == "agent-tokens":
            tokens.add_metric([rest], value)
        elif part == "agent-bucket":
            direction, _, bound = rest.partition("|")
            buckets.setdefault(direction, {})[bound] = value
        elif part == "agent-sum":
            sums[rest] = value
    yield requests
    yield tokens
    per_request = HistogramMetricFamily(
        "opsbot_agent_request_tokens",
        "Tokens per request to Claude (input includes cached tokens)",
        labels=["direction"],
    )
    for direction, by_bound in buckets.items():
        per_request.add_metric([direction], _cumulative(by_bound), sum_value=sums.get(direction, 0.0))
    yield per_request


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter("opsbot_events_received", "Inbound events accepted", ["source"], registry=self.registry)
        self.deduplicated = Counter(
            "opsbot_events_deduplicated", "Inbound events seen before", ["source"], registry=self.registry
        )
        self.ignored = Counter(
            "opsbot_events_ignored", "Inbound events not for opsbot", ["source", "reason"], registry=self.registry
        )
        self.rejected = Counter(
            "opsbot_events_rejected", "Inbound requests refused", ["source", "reason"], registry=self.registry
        )
        self._snapshot = _Snapshot()
        self.registry.register(self._snapshot)

    def render(self, depth: QueueDepth | None, jobs: Mapping[str, float]) -> bytes:
        self._snapshot.depth = depth
        self._snapshot.jobs = jobs
        return generate_latest(self.registry)
