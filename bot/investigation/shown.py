"""How outside values appear in a look's summary: short, on one line, times in UTC minutes.

Label values, annotations and silence comments come from other systems and may carry anything:
newlines that would fake a line of the summary, text long enough to crowd out the rest. Each is
cut to a few dozen characters on one line; the toolbox fences the whole result as untrusted data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime

LABEL_VALUE_LIMIT = 60  # characters of one label value as shown
LABEL_NAME_LIMIT = 40


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (every run of whitespace or control characters one space), at most ``limit`` characters."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    flat = " ".join(printable.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + "…"


def quoted(value: str) -> str:
    """A label value short, on one line and double-quoted, as PromQL writes it."""
    return json.dumps(one_line(value, LABEL_VALUE_LIMIT), ensure_ascii=False)


def labels_text(labels: Mapping[str, str], *, most: int | None = None) -> str:
    """``{a="x", b="y"}`` in label order, values quoted as PromQL would; past ``most`` labels, a count of the rest."""
    names = sorted(labels)
    shown = names if most is None else names[:most]
    parts = [f"{one_line(name, LABEL_NAME_LIMIT)}={quoted(labels[name])}" for name in shown]
    if len(shown) < len(names):
        parts.append(f"+{len(names) - len(shown)} more labels")
    return "{" + ", ".join(parts) + "}"


def utc_minute(when: float | datetime) -> str:
    """``2026-12-04T15:02Z``: the minute, in UTC."""
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def compact(value: float) -> str:
    """A value in at most 3 significant digits (whole numbers under a million as they are), no unit guessed."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text
