"""``python -m tests.bench``: GitHub ingest and Slack acknowledgement against their floors, alert ingest
against the GitHub floor and its time to the Slack message, memory recall,
Claude input tokens with the cached share, and worker throughput for 1, 2 and 4 workers."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from tests.bench.alerts import alerts_report, measure_alerts
from tests.bench.looks import looks_report, measure_looks
from tests.bench.recall import measure_recall, recall_report
from tests.bench.report import Series, ingest_verdict, progress, settings_line, slack_verdict, table
from tests.bench.rounds import Bench, BenchConfig, Outcome, Which
from tests.bench.scale import measure_scale, scale_report
from tests.bench.servers import BenchError
from tests.bench.tokens import measure_tokens, tokens_report
from tests.emulators import SlackEmulator
from tests.fixtures import FIXTURES
from tests.redis_server import redis_server

ORDER: tuple[Which, Which] = ("floor", "opsbot")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so every `finally` stops what it started


def alternate(title: str, kind: str, rounds: int, run: Callable[[Which], Outcome]) -> dict[Which, Series]:
    """Floor and opsbot in turn, ``rounds`` times each, so noise hits both alike."""
    outcomes: dict[Which, list[Outcome]] = {"floor": [], "opsbot": []}
    print(title, flush=True)
    for n in range(1, rounds + 1):
        for which in ORDER:
            outcome = run(which)
            outcomes[which].append(outcome)
            print(progress(kind, outcome, n), flush=True)
    return {which: Series(found) for which, found in outcomes.items()}


def measure(bench: Bench) -> tuple[dict[Which, Series], dict[Which, Series]]:
    rounds = bench.config.rounds
    github = alternate("GitHub webhook ingest", "github", rounds, bench.github)
    slack = alternate("Slack /ops acknowledgement", "slack", rounds, bench.slack)
    return github, slack


def config_from(argv: Sequence[str] | None) -> BenchConfig:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds")
    parser.add_argument("--duration", type=float, default=defaults.duration, help="measured seconds per run")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="runs per server")
    args = parser.parse_args(argv)
    return BenchConfig(
        connections=max(1, args.connections),
        warmup=max(0.1, args.warmup),
        duration=min(max(0.5, args.duration), 60.0),
        rounds=min(max(1, args.rounds), 5),
    )


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    config = config_from(argv)
    started = time.monotonic()
    print(f"opsbot bench: {settings_line(config)}", flush=True)
    try:
        with redis_server() as redis_url, SlackEmulator() as slack_api, tempfile.TemporaryDirectory() as tmp:
            bench = Bench(redis_url, slack_api.url + "/api/", Path(tmp), FIXTURES, config)
            try:
                github, slack = measure(bench)
                print("Alertmanager webhook ingest", flush=True)
                alerts = measure_alerts(bench, redis_url, slack_api)
            finally:
                bench.close()
            print("Memory recall", flush=True)
            recall = asyncio.run(measure_recall(redis_url))
            print("Claude input tokens", flush=True)
            tokens = asyncio.run(measure_tokens(redis_url))
            print("Worker scale-out", flush=True)
            scale = asyncio.run(measure_scale(redis_url))
            print("Agent tools on large cases", flush=True)
            looks = measure_looks()
    except KeyboardInterrupt:
        print("\nopsbot bench: interrupted; every server it started has been stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"opsbot bench: BROKEN: {exc}", file=sys.stderr)
        return 2
    print()
    print(table("GitHub webhook ingest (best run)", github["floor"], github["opsbot"], with_queue=True))
    print("  lost / dup: totals over every run of that server; redelivery: accepted deliveries sent again")
    print(table("Slack /ops status ack (best run)", slack["floor"], slack["opsbot"], with_queue=False))
    print()
    print(ingest_verdict(github["floor"], github["opsbot"]))
    print(slack_verdict(slack["floor"], slack["opsbot"]))
    print(alerts_report(alerts, github["floor"]))
    print(recall_report(recall))
    print(tokens_report(tokens))
    print(scale_report(scale))
    print(looks_report(looks))
    print(f"(took {time.monotonic() - started:.0f} s)")
    return 0
