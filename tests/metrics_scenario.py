"""A real Prometheus holding a realistic history, backfilled with ``promtool``.

The scenario is the one an investigation starts from: for six hours `api`'s p99 latency and
5xx rate are flat, then a deploy goes out and a few minutes later both step up; `web`'s series
stay flat throughout. The samples are written as OpenMetrics, turned into TSDB blocks with
``promtool tsdb create-blocks-from openmetrics`` and served by a Prometheus started on them
(Debian's package, which `make test` installs), so a query's answer is Prometheus's own.

``with backfilled_prometheus(scenario) as url`` starts it on a free port and stops it after.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.alerting_servers import _process
from tests.redis_server import free_port

HOURS = 6
INTERVAL = 30  # seconds between samples, as a typical scrape interval
LATENCY = "http_request_duration_seconds_p99"
ERRORS = "http_requests_5xx_per_second"


@dataclass(frozen=True)
class Scenario:
    end: float  # the last sample's time (a minute boundary, in the recent past)
    deploy_at: float  # when the deploy went out
    step_at: float  # when api's latency and errors stepped up (a few minutes after the deploy)
    extra_series: int = 0  # `bench_latency_seconds` series for the bench's wide query
    families: dict[str, list[str]] = field(default_factory=dict)

    @property
    def start(self) -> float:
        return self.end - HOURS * 3600


def api_slow_after_deploy(now: float | None = None, *, extra_series: int = 0) -> Scenario:
    end = math.floor((now or time.time()) / 60) * 60 - 60
    deploy_at = end - 90 * 60
    return Scenario(end=end, deploy_at=deploy_at, step_at=deploy_at + 5 * 60, extra_series=extra_series)


def _wobble(t: float, n: int) -> float:
    """A small, deterministic ripple, so a flat line still looks like a measured one."""
    return 0.02 * math.sin(t / 600 + n)


def openmetrics(scenario: Scenario) -> str:
    """The scenario's samples as OpenMetrics text, one metric family after another."""
    times = range(int(scenario.start), int(scenario.end) + 1, INTERVAL)
    lines = [f"# TYPE {LATENCY} gauge", f"# HELP {LATENCY} 99th percentile request latency."]
    series: Mapping[str, tuple[float, float]] = {"api": (0.120, 0.950), "web": (0.080, 0.080)}
    for service, (before, after) in series.items():
        for instance in (1, 2):
            labels = f'{{service="{service}",job="{service}",instance="{service}-{instance}"}}'
            for t in times:
                level = after if t >= scenario.step_at else before
                lines.append(f"{LATENCY}{labels} {level * (1 + _wobble(t, instance)):.4f} {t}")
    lines += [f"# TYPE {ERRORS} gauge", f"# HELP {ERRORS} Responses with a 5xx status, per second."]
    for service, (before, after) in {"api": (0.1, 4.0), "web": (0.05, 0.05)}.items():
        labels = f'{{service="{service}",job="{service}"}}'
        for t in times:
            level = after if t >= scenario.step_at else before
            lines.append(f"{ERRORS}{labels} {level * (1 + _wobble(t, 0)):.4f} {t}")
    if scenario.extra_series:
        lines += ["# TYPE bench_latency_seconds gauge", "# HELP bench_latency_seconds Wide series for the bench."]
        for n in range(scenario.extra_series):
            labels = f'{{service="bench",pod="bench-{n:03d}",zone="z{n % 3}"}}'
            for t in times:
                lines.append(f"bench_latency_seconds{labels} {0.1 + n / 1000 + _wobble(t, n):.4f} {t}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextmanager
def backfilled_prometheus(scenario: Scenario) -> Iterator[str]:
    """Prometheus serving ``scenario``'s history; yields its base URL."""
    promtool = shutil.which("promtool")
    if promtool is None:
        raise RuntimeError("promtool is not on PATH; `make test` installs it (make alerting-servers)")
    folder = Path(tempfile.mkdtemp(prefix="opsbot-metrics-"))
    try:
        data, tsdb = folder / "scenario.om", folder / "tsdb"
        data.write_text(openmetrics(scenario))
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
            check=True,
            capture_output=True,
        )
        (folder / "prometheus.yml").write_text("global:\n  evaluation_interval: 1m\n")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=30d",
            "--log.level=warn",
        ]
        with _process("Prometheus (backfilled)", argv, folder / "prometheus.log", url):
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
