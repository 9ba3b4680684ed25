"""The table and the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tests.bench.rounds import BenchConfig, Outcome

INGEST_RATIO = 0.70
INGEST_P99_MS = 50.0
SLACK_RATIO = 0.80


@dataclass(frozen=True)
class Series:
    """Every run of one server on one workload; the best one is the one with the most req/s."""

    runs: Sequence[Outcome]

    @property
    def best(self) -> Outcome:
        return max(self.runs, key=lambda o: o.load.rps)

    @property
    def lost(self) -> int:
        return sum(o.stream.lost for o in self.runs if o.stream)

    @property
    def duplicated(self) -> int:
        return sum(o.stream.duplicated for o in self.runs if o.stream)

    @property
    def redelivery_ok(self) -> bool:
        return all(o.redelivery.ok for o in self.runs if o.redelivery)


def progress(workload: str, outcome: Outcome, n: int) -> str:
    load = outcome.load
    line = (
        f"  {workload:<6} {outcome.which:<6} run {n}: {load.rps:8,.0f} req/s  p50 {load.p50_ms:6.1f} ms"
        f"  p99 {load.p99_ms:6.1f} ms  non-2xx {load.non_2xx}  errors {load.errors}"
    )
    if outcome.stream is not None:
        s = outcome.stream
        line += f"  accepted {s.accepted} entries {s.entries} lost {s.lost} dup {s.duplicated}"
    if outcome.redelivery is not None:
        r = outcome.redelivery
        line += f"  redelivery {r.answered_2xx}/{r.resent} 2xx, stream +{r.growth}"
    if load.exhausted:
        line += "  (pool ran dry; window shortened)"
    if outcome.log:
        line += f"\n    server logged {len(outcome.log)} lines, first: {outcome.log[0][:200]}"
    return line


def _row(series: Series, with_queue: bool) -> str:
    load = series.best.load
    row = f"  {series.best.which:<7}{load.rps:>9,.0f}{load.p50_ms:>9.1f}{load.p99_ms:>9.1f}"
    row += f"{load.non_2xx:>9}{load.errors:>8}"
    if with_queue:
        row += f"{series.lost:>7}{series.duplicated:>6}  {'ok' if series.redelivery_ok else 'GREW'}"
    return row


def table(title: str, floor: Series, opsbot: Series, with_queue: bool) -> str:
    header = f"  {'server':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}"
    if with_queue:
        header += f"{'lost':>7}{'dup':>6}  redelivery"
    ratio = opsbot.best.load.rps / floor.best.load.rps
    rows = [_row(floor, with_queue), _row(opsbot, with_queue)]
    return "\n".join([title, header, *rows, f"  ratio opsbot/floor: {ratio:.2f}"])


def _mark(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def ingest_verdict(floor: Series, opsbot: Series) -> str:
    ratio = opsbot.best.load.rps / floor.best.load.rps
    p99 = opsbot.best.load.p99_ms
    checks = [
        (ratio >= INGEST_RATIO, f"ratio {ratio:.2f} (≥ {INGEST_RATIO:.2f})"),
        (p99 <= INGEST_P99_MS, f"p99 {p99:.1f} ms (≤ {INGEST_P99_MS:.0f})"),
        (opsbot.lost == 0, f"lost {opsbot.lost}"),
        (opsbot.duplicated == 0, f"duplicated {opsbot.duplicated}"),
        (opsbot.redelivery_ok, "redelivery deduplicated" if opsbot.redelivery_ok else "redelivery grew the stream"),
    ]
    details = "; ".join(("" if ok else "✗ ") + text for ok, text in checks)
    return f"VERDICT github ingest: {_mark(all(ok for ok, _ in checks))} — {details}"


def slack_verdict(floor: Series, opsbot: Series) -> str:
    ratio = opsbot.best.load.rps / floor.best.load.rps
    ok = ratio >= SLACK_RATIO
    return f"VERDICT slack ack: {_mark(ok)} — {'' if ok else '✗ '}ratio {ratio:.2f} (≥ {SLACK_RATIO:.2f})"


def settings_line(config: BenchConfig) -> str:
    return (
        f"{config.connections} keep-alive connections, {config.warmup:g} s warm-up, "
        f"{config.duration:g} s measured, best of {config.rounds} runs per server (by req/s)"
    )
