"""Worker throughput for 1, 2 and 4 ``opsbot worker`` processes on one Redis, every Slack call taking 50 ms.

Each run starts the workers, freezes them (SIGSTOP) while a burst of real
Slack mentions goes through the web app onto the queue, then lets them go
(SIGCONT) and times until the queue is empty. Freezing keeps start-up and
the intake out of the window, so the number is the workers' alone. The
baseline is one worker, measured in the same run. Every burst is checked
afterwards: each mention answered exactly once.

Two settings: one job at a time per worker, where 50 ms per call bounds a
worker at 20 jobs/s and adding workers is the only way up; and the default
of 16 at a time, where the machine's cores are the limit.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as redis

from tests.emulators import SlackEmulator
from tests.fleet import Burst, Fleet
from tests.harness import SLACK_SECRET, BotUnderTest

UPSTREAM_LATENCY = 0.05  # seconds per Slack call
WORKER_COUNTS = (1, 2, 4)
SETTINGS = ((1, 80), (16, 400))  # (jobs at a time per worker, burst size)
ROUNDS = 2


@dataclass(frozen=True)
class ScaleRun:
    concurrency: int
    workers: int
    jobs: int
    seconds: float
    lost: int
    duplicated: int
    calls_per_job: float  # Slack API calls one job makes, each of them UPSTREAM_LATENCY long

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds


async def _one_run(slack: SlackEmulator, redis_url: str, concurrency: int, workers: int, jobs: int) -> ScaleRun:
    env = {
        "REDIS_URL": redis_url,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "OPSBOT_WORKER_CONCURRENCY": str(concurrency),
    }
    client = redis.Redis.from_url(redis_url)
    slack.reset()
    await client.flushdb()
    burst = Burst(slack, jobs)
    with tempfile.TemporaryDirectory() as logs:
        fleet = Fleet(env, Path(logs))
        try:
            running = fleet.workers(workers)
            for worker in running:
                worker.process.send_signal(signal.SIGSTOP)
            async with BotUnderTest(env) as web:
                accepted = await asyncio.gather(*(web.slack(burst.body(n), "application/json") for n in range(jobs)))
                if any(a.status_code != 200 for a in accepted):
                    raise AssertionError("the web app refused part of the burst")
                slack.latency = UPSTREAM_LATENCY
                started = time.perf_counter()
                for worker in running:
                    worker.process.send_signal(signal.SIGCONT)
                await web.queue_drained(timeout=120, poll=0.005)
                seconds = time.perf_counter() - started
            for worker in running:
                worker.stop()
        finally:
            slack.latency = 0.0
            fleet.close()
            await client.aclose()
    replies = burst.replies()
    lost = sum(1 for thread in burst.threads if replies[thread] == 0)
    duplicated = sum(count - 1 for count in replies.values() if count > 1)
    calls = len(slack.requests_to("POST", r"^/api/")) / jobs
    return ScaleRun(concurrency, workers, jobs, seconds, lost, duplicated, calls)


async def measure_scale(redis_url: str) -> list[ScaleRun]:
    database = redis_url.rsplit("/", 1)[0] + "/3"  # its own database
    runs: list[ScaleRun] = []
    with SlackEmulator() as slack:
        for concurrency, jobs in SETTINGS:
            for n in range(1, ROUNDS + 1):
                for workers in WORKER_COUNTS:  # in turn, so noise hits every count alike
                    run = await _one_run(slack, database, concurrency, workers, jobs)
                    runs.append(run)
                    print(
                        f"  {concurrency:>2} at a time, {workers} worker(s), run {n}: {run.jobs_per_second:7.1f} jobs/s"
                        f"  ({run.jobs} in {run.seconds:.2f} s, lost {run.lost}, dup {run.duplicated})",
                        flush=True,
                    )
    return runs


def scale_report(runs: list[ScaleRun]) -> str:
    lines = [
        f"Worker scale-out: each Slack call takes {UPSTREAM_LATENCY * 1000:.0f} ms; best of {ROUNDS} runs;"
        " ratio against 1 worker in this run"
    ]
    lines.append(f"  {'at a time':>9} {'workers':>8} {'jobs/s':>8} {'ratio':>6} {'lost':>5} {'dup':>4}")
    verdicts = []
    for concurrency, _ in SETTINGS:
        mine = [r for r in runs if r.concurrency == concurrency]
        best = {w: max((r for r in mine if r.workers == w), key=lambda r: r.jobs_per_second) for w in WORKER_COUNTS}
        baseline = best[1].jobs_per_second
        for workers in WORKER_COUNTS:
            run = best[workers]
            same = [r for r in mine if r.workers == workers]
            lost, dup = sum(r.lost for r in same), sum(r.duplicated for r in same)
            lines.append(
                f"  {concurrency:>9} {workers:>8} {run.jobs_per_second:>8.1f} {run.jobs_per_second / baseline:>5.2f}×"
                f" {lost:>5} {dup:>4}"
            )
        calls = max(r.calls_per_job for r in mine)
        ceiling = concurrency / (UPSTREAM_LATENCY * calls)
        verdicts.append(
            f"  {concurrency} at a time: 4 workers {best[4].jobs_per_second / baseline:.2f}× one worker;"
            f" a job makes {calls:.1f} Slack calls, so one worker's ceiling is {ceiling:.0f} jobs/s"
        )
    intact = all(r.lost == 0 and r.duplicated == 0 for r in runs)
    lines += verdicts
    lines.append(f"VERDICT scale-out bursts: {'INTACT' if intact else 'BROKEN'} — every mention answered exactly once")
    return "\n".join(lines)
