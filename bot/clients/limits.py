"""Cutting rendered text to a service's size limit, with a visible note.

Each platform's renderer calls :func:`cut` after escaping (escaping makes
text longer), telling it which spans must stay whole: a mention, a link, an
entity, a hidden marker. The cut lands before such a span, never inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TRUNCATED = "(truncated: too long for {service})"


def utf8_bytes(text: str) -> int:
    return len(text.encode())


def safe_end(text: str, end: int, atoms: re.Pattern[str]) -> int:
    """The largest position ≤ ``end`` that is not inside one of ``atoms``' spans."""
    for match in atoms.finditer(text, max(0, end - 4096), min(len(text), end + 4096)):
        if match.start() < end < match.end():
            return match.start()
        if match.start() >= end:
            break
    return end


def cut(
    text: str,
    limit: int,
    note: str,
    atoms: re.Pattern[str],
    *,
    measure: Callable[[str], int] = len,
    closing: Callable[[str], str] = lambda kept: "",
) -> str:
    """``text`` if it fits in ``limit``; else as much as fits, then ``closing(kept)`` (what the kept
    part needs to stay well-formed, e.g. the end of an open code block), then ``note``."""
    if measure(text) <= limit:
        return text
    end = min(len(text), limit)
    while end > 0:
        end = safe_end(text, end, atoms)
        kept = text[:end]
        result = kept + closing(kept) + note
        over = measure(result) - limit
        if over <= 0:
            return result
        end -= max(1, over // 4 if measure is not len else over)
    return note[:limit] if measure(note) <= limit else ""
