"""Alert ingest: notifications/s on ``POST /alertmanager/webhook`` against the GitHub ingest floor of
the same run, and the time from Alertmanager's POST to opsbot's Slack message.

Ingest reuses the load generator (tests/bench/load.py) with notifications each a group of their
own (tests/bench/workloads.py ``AlertRequests``, from the notification recorded from the real
Alertmanager). The latency runs a real ``opsbot serve`` and ``opsbot worker`` against the Slack
emulator, which answers at once, so what is timed is opsbot's own overhead: the POST is sent, and
the clock stops when chat.postMessage naming that notification reaches the emulator. Notifications
go one at a time, so no one waits behind another.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.bench.load import percentile
from tests.bench.report import Series
from tests.bench.rounds import ALERTS_TOKEN, Bench, Outcome
from tests.bench.servers import BenchError
from tests.bench.workloads import ALERTS_PATH, alert_body
from tests.emulators import SlackEmulator
from tests.fleet import Fleet

LATENCY_SAMPLES = 200
LATENCY_WARMUP = 10  # notifications first, untimed: imports, connections, the first message
MESSAGE_TIMEOUT = 10.0  # seconds one notification may take to reach Slack before it counts as lost
POLL = 0.0005  # seconds between looks at the emulator
ALERTS_RATIO = 0.70  # as GitHub ingest: the same work per request (check, dedupe, enqueue)


@dataclass(frozen=True)
class AlertLatency:
    samples_ms: list[float]
    lost: int

    @property
    def p50_ms(self) -> float:
        return percentile(sorted(self.samples_ms), 0.50)

    @property
    def p99_ms(self) -> float:
        return percentile(sorted(self.samples_ms), 0.99)


@dataclass(frozen=True)
class AlertIngest:
    runs: list[Outcome]
    latency: AlertLatency

    @property
    def best(self) -> Outcome:
        return max(self.runs, key=lambda o: o.load.rps)


def _posted(slack: SlackEmulator, notification: str, after: float) -> float | None:
    """When a chat.postMessage naming ``notification`` reached Slack, if one has."""
    for request in slack.requests_to("POST", r"^/api/chat\.postMessage$"):
        if request.received_at >= after and notification in json.dumps([request.json, request.form]):
            return request.received_at
    return None


def measure_latency(bench: Bench, redis_url: str, slack: SlackEmulator) -> AlertLatency:
    """POST → Slack message, one notification at a time, with a real web process and worker."""
    slack.reset()
    samples: list[float] = []
    lost = 0
    # INFO: the fleet waits for the worker to log that it started.
    env = {**bench.alerts_env(redis_url), "OPSBOT_LOG_LEVEL": "INFO"}
    headers = {"content-type": "application/json", "authorization": f"Bearer {ALERTS_TOKEN}"}
    with tempfile.TemporaryDirectory() as logs, httpx.Client(timeout=10) as client:
        fleet = Fleet(env, Path(logs))
        try:
            web = fleet.web()
            fleet.worker()
            for n in range(LATENCY_WARMUP + LATENCY_SAMPLES):
                notification = f"latency-{n:08d}"
                sent = time.monotonic()
                answer = client.post(f"{web.url}{ALERTS_PATH}", content=alert_body(notification), headers=headers)
                if not 200 <= answer.status_code < 300:
                    raise BenchError(f"{ALERTS_PATH} answered {answer.status_code} during the latency run")
                deadline = sent + MESSAGE_TIMEOUT
                while (arrived := _posted(slack, notification, sent)) is None and time.monotonic() < deadline:
                    time.sleep(POLL)
                if n < LATENCY_WARMUP:
                    continue
                if arrived is None:
                    lost += 1
                else:
                    samples.append((arrived - sent) * 1000)
        finally:
            fleet.close()
    if not samples:
        raise BenchError("no notification reached Slack in the latency run")
    return AlertLatency(samples, lost)


def measure_alerts(bench: Bench, redis_url: str, slack: SlackEmulator) -> AlertIngest:
    """The ingest runs and the latency run."""
    runs: list[Outcome] = []
    for n in range(1, bench.config.rounds + 1):
        outcome = bench.alerts()
        runs.append(outcome)
        load = outcome.load
        print(
            f"  alerts opsbot run {n}: {load.rps:8,.0f} req/s  p50 {load.p50_ms:6.1f} ms  p99 {load.p99_ms:6.1f} ms"
            f"  non-2xx {load.non_2xx}  errors {load.errors}",
            flush=True,
        )
    latency_db = redis_url.rsplit("/", 1)[0] + "/4"  # its own database
    return AlertIngest(runs, measure_latency(bench, latency_db, slack))


def alerts_report(ingest: AlertIngest, github_floor: Series) -> str:
    load = ingest.best.load
    floor = github_floor.best.load
    ratio = load.rps / floor.rps
    latency = ingest.latency
    lines = [
        "Alert ingest (best run): notifications posted to POST /alertmanager/webhook, each a group of its own",
        f"  opsbot {load.rps:>9,.0f} req/s  p50 {load.p50_ms:.1f} ms  p99 {load.p99_ms:.1f} ms"
        f"  non-2xx {load.non_2xx}  errors {load.errors}",
        f"  GitHub ingest floor of this run {floor.rps:,.0f} req/s; ratio alerts/floor: {ratio:.2f}",
        f"  POST → Slack message (web + worker, Slack answering at once), {len(latency.samples_ms)} one at a time:"
        f" p50 {latency.p50_ms:.1f} ms  p99 {latency.p99_ms:.1f} ms  lost {latency.lost}",
    ]
    ok = ratio >= ALERTS_RATIO and load.non_2xx == 0 and latency.lost == 0
    mark = "MET" if ok else "MISSED"
    lines.append(
        f"VERDICT alert ingest: {mark} — ratio {ratio:.2f} (≥ {ALERTS_RATIO:.2f}) against the GitHub floor;"
        f" lost {latency.lost}; POST → Slack p50 {latency.p50_ms:.1f} ms, p99 {latency.p99_ms:.1f} ms"
    )
    return "\n".join(lines)
