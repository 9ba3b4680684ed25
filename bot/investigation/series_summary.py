"""A query's series in a few lines the model can reason about, never the raw points.

The labels every series shares are said once; each series then shows only the labels that set
it apart, its min / max / last (for a range also its first value, its trend and its notable
jumps, with their times). With many series only the top ones by last value are shown, and how
many more there are.

A jump is found against the series' own noise (the median change from one point to the next):
a *step* is where the median level of the few points after a moment differs from the few before
by well over that noise; a *spike* or *dip* is one point far from the level of its neighbours on
both sides. Medians, so a single spike doesn't pass for a step nor hide one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

from bot.investigation.metrics_source import Series
from bot.investigation.shown import compact, labels_text, utc_minute

TOP_SERIES = 10  # series shown when a query returns more
MOST_EVENTS = 3  # jumps shown per series, the largest
MOST_LABELS = 6  # differing labels shown per series
MOST_SHARED = 12  # shared labels shown once
WINDOW = 5  # points on each side a level is the median of


@dataclass(frozen=True)
class Window:
    """The range a query covered: what the points' times are read against."""

    start: float
    end: float
    step: float


@dataclass(frozen=True)
class Jump:
    at: float
    kind: str  # "step up", "step down", "spike", "dip"
    size: float
    text: str


def shared_labels(series: Sequence[Series]) -> dict[str, str]:
    """Labels with one value in every series."""
    if not series:
        return {}
    first = series[0].labels
    return {name: value for name, value in first.items() if all(s.labels.get(name) == value for s in series[1:])}


def _finite(series: Series) -> list[tuple[float, float]]:
    return [(t, v) for t, v in series.points if math.isfinite(v)]


def _last(series: Series) -> float:
    """The series' last value that isn't NaN, for ordering; -inf when it has none."""
    for _, value in reversed(series.points):
        if not math.isnan(value):
            return value
    return -math.inf


def _noise(values: Sequence[float]) -> float:
    changes = [abs(b - a) for a, b in itertools.pairwise(values)]
    return median(changes) if changes else 0.0


def _threshold(values: Sequence[float]) -> float:
    """How far a change must go to be notable: well beyond the noise, and not a rounding wobble."""
    scale = max(abs(v) for v in values) or 1.0
    return max(6 * _noise(values), 0.1 * (max(values) - min(values)), 0.02 * scale, 1e-12)


def _mean(values: Sequence[float]) -> float:
    # Each value divided first: a sum of values near the largest float would overflow (fmean raises).
    return math.fsum(v / len(values) for v in values)


def trend(values: Sequence[float]) -> str:
    """up / down / flat: the mean of the last third against the first third's."""
    if len(values) < 3:
        return "flat"
    third = max(1, len(values) // 3)
    change = _mean(values[-third:]) - _mean(values[:third])
    scale = max(abs(v) for v in values) or 1.0
    if abs(change) <= max(3 * _noise(values), 0.02 * scale, 1e-12):
        return "flat"
    return "up" if change > 0 else "down"


def _steps(times: Sequence[float], values: Sequence[float], threshold: float, width: int) -> list[Jump]:
    n = len(values)
    shifts: dict[int, tuple[float, float]] = {}
    for i in range(2, n - 1):
        before, after = median(values[max(0, i - width) : i]), median(values[i : i + width])
        if abs(after - before) > threshold:
            shifts[i] = (before, after)
    jumps: list[Jump] = []
    run: list[int] = []
    ends: list[int | None] = [*sorted(shifts), None]
    for k_or_end in ends:
        if run and (k_or_end is None or k_or_end != run[-1] + 1):
            best = max(run, key=lambda k: abs(shifts[k][1] - shifts[k][0]))
            before, after = shifts[best]
            # The medians see the step over a few positions; it happened at the first point of the new level.
            at = best
            for j in range(max(1, run[0] - 1), min(n, run[-1] + width)):
                new, old = values[j], values[j - 1]
                if abs(new - after) < abs(new - before) and abs(old - before) <= abs(old - after):
                    at = j
                    break
            kind = "step up" if after > before else "step down"
            text = f"{kind} {compact(before)}→{compact(after)} at {utc_minute(times[at])}"
            jumps.append(Jump(times[at], kind, abs(after - before), text))
            run = []
        if k_or_end is not None:
            run.append(k_or_end)
    return jumps


def _spikes(times: Sequence[float], values: Sequence[float], threshold: float, width: int) -> list[Jump]:
    jumps: list[Jump] = []
    for i in range(1, len(values) - 1):
        left, right = values[max(0, i - width) : i], values[i + 1 : i + 1 + width]
        level = median([*left, *right])
        deviation = values[i] - level
        sides_agree = abs(median(left) - median(right)) <= threshold / 2
        neighbours_calm = abs(values[i - 1] - level) <= threshold / 2 or abs(values[i + 1] - level) <= threshold / 2
        if abs(deviation) > threshold and sides_agree and neighbours_calm:
            kind = "spike" if deviation > 0 else "dip"
            text = f"{kind} to {compact(values[i])} (level {compact(level)}) at {utc_minute(times[i])}"
            jumps.append(Jump(times[i], kind, abs(deviation), text))
    return jumps


def jumps(points: Sequence[tuple[float, float]]) -> list[Jump]:
    """The notable step changes and spikes of finite ``points``, largest first, at most :data:`MOST_EVENTS`."""
    if len(points) < 6:
        return []
    times, values = [t for t, _ in points], [v for _, v in points]
    width = max(2, min(WINDOW, len(values) // 6))
    threshold = _threshold(values)
    found = _steps(times, values, threshold, width) + _spikes(times, values, threshold, width)
    return sorted(found, key=lambda j: -j.size)[:MOST_EVENTS]


def _range_line(series: Series, shown: Mapping[str, str], window: Window) -> str:
    finite = _finite(series)
    values = [v for _, v in series.points if not math.isnan(v)]
    nan = len(series.points) - len(values)
    head = labels_text(shown, most=MOST_LABELS) if shown else "{}"
    if not values:
        return f"{head}: no values ({len(series.points)} NaN points)"
    parts = [
        f"first {compact(values[0])}",
        f"min {compact(min(values))}",
        f"max {compact(max(values))}",
        f"last {compact(values[-1])}",
        f"trend {trend([v for _, v in finite])}",
    ]
    times = [t for t, _ in series.points]
    if times[0] > window.start + 1.5 * window.step:
        parts.append(f"from {utc_minute(times[0])}")
    if times[-1] < window.end - 1.5 * window.step:
        parts.append(f"until {utc_minute(times[-1])}")
    if nan:
        parts.append(f"{nan} NaN points")
    found = sorted(jumps(finite), key=lambda j: j.at)
    tail = "; " + "; ".join(j.text for j in found) if found else ""
    return f"{head}: {', '.join(parts)}{tail}"


def _instant_line(series: Series, shown: Mapping[str, str]) -> str:
    head = labels_text(shown, most=MOST_LABELS) if shown else "{}"
    values = ", ".join(compact(v) for _, v in series.points[-3:]) or "no value"
    return f"{head}: {values}"


def summarise(series: Sequence[Series], window: Window | None, *, budget: int) -> list[str]:
    """The summary's lines, within ``budget`` characters: ``window`` None for an instant query."""
    if not series:
        return ["No series matched."]
    shared = shared_labels(series)
    ordered = sorted(series, key=lambda s: (-_last(s), labels_text(s.labels)))
    head = [f"{len(series)} series" + (f", all with {labels_text(shared, most=MOST_SHARED)}" if shared else "") + "."]
    if len(series) > TOP_SERIES:
        rest = ordered[TOP_SERIES:]
        lasts = [v for v in map(_last, rest) if math.isfinite(v)]
        span = f" (last values {compact(min(lasts))} to {compact(max(lasts))})" if lasts else ""
        head.append(f"Top {TOP_SERIES} by last value; {len(rest)} more not shown{span}.")
    lines: list[str] = []
    used = sum(len(line) + 1 for line in head)
    for index, one in enumerate(ordered[:TOP_SERIES]):
        differing = {k: v for k, v in one.labels.items() if k not in shared}
        line = _range_line(one, differing, window) if window is not None else _instant_line(one, differing)
        if used + len(line) + 1 > budget:
            lines.append(f"… {min(len(ordered), TOP_SERIES) - index} more series left out for size.")
            break
        lines.append(line)
        used += len(line) + 1
    return head + lines
