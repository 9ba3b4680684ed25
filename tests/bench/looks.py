"""The agent's looks at the systems, on large cases: how big each result is, and what it costs.

Each look's large case (a 6 h range query over 200 series, a 50 MB job log, a 500-commit
compare, a busy namespace) is run against its real backend or emulator. The result's size is
counted as the Anthropic emulator counts a tool result (its JSON-encoded length over four) and
must stay within :data:`TOKEN_BOUND`; the time the look adds is its own time minus the time its
backend took to answer the same requests, best of a few runs each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TOKEN_BOUND = 1_500


def emulator_tokens(result: str) -> int:
    """A tool result's size as tests/emulators/anthropic.py counts it."""
    return len(json.dumps(result, sort_keys=True)) // 4


@dataclass(frozen=True)
class LookMeasure:
    tool: str
    case: str  # "range query, 6 h x 200 series"
    tokens: int  # of the result, by the emulator's count
    backend_ms: float  # the backend's own answer to the same requests, best run
    look_ms: float  # the whole look, best run

    @property
    def added_ms(self) -> float:
        return max(0.0, self.look_ms - self.backend_ms)

    @property
    def within(self) -> bool:
        return self.tokens <= TOKEN_BOUND


def benches() -> list[Callable[[], Sequence[LookMeasure]]]:
    """One function per look's large cases, each returning its measures (imported here, not at the
    top, because those modules import this one)."""
    from tests.bench.looks_cluster import cluster_benches
    from tests.bench.looks_forges import measure_forge_looks
    from tests.bench.looks_metrics import metrics_benches

    return [metrics_benches, measure_forge_looks, cluster_benches]


def measure_looks() -> list[LookMeasure]:
    return [measure for bench in benches() for measure in bench()]


def looks_report(measures: Sequence[LookMeasure]) -> str:
    lines = [f"Agent tool results on large cases (bound {TOKEN_BOUND:,} tokens by the emulator's count)"]
    for m in measures:
        verdict = "ok" if m.within else "OVER"
        lines.append(
            f"  {m.tool:<15} {m.case:<40} {m.tokens:>6,} tokens {verdict:<4}  "
            f"backend {m.backend_ms:8.1f} ms, tool adds {m.added_ms:7.1f} ms"
        )
    if not measures:
        lines.append("  (no look benches registered)")
    return "\n".join(lines)
