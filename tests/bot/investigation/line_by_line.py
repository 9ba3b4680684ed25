"""The excerpt as it was read before the block search: every line cleaned and judged, in order.

Kept as written then, as the reference :func:`bot.investigation.log_excerpt.excerpt` must equal
on any log. Its lines are the log's bytes decoded as UTF-8 and split at newlines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from bot.investigation.log_excerpt import (
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    MAX_FINGERPRINTS,
    MAX_PASSAGE_LINES,
    MAX_PASSAGES,
    TAIL_LINES,
    Excerpt,
    Numbered,
)
from bot.investigation.log_lines import clean, looks_like_error
from bot.investigation.log_lines import fingerprint as _fingerprint


def lines_of(log: bytes) -> list[str]:
    lines = log.decode("utf-8", "replace").split("\n")
    if not lines[-1]:  # a log ending with a newline has no line after it
        lines.pop()
    return lines


def line_by_line_excerpt(lines: Iterable[str]) -> Excerpt:
    """Read ``lines`` once, keeping only what :func:`render` may show."""
    found = Excerpt()
    before: deque[Numbered] = deque(maxlen=CONTEXT_BEFORE)
    tail: deque[Numbered] = deque(maxlen=TAIL_LINES)
    seen: set[int] = set()
    current: list[Numbered] | None = None  # the passage still taking lines after its error
    after = 0
    number = 0
    for raw in lines:
        number += 1
        text = clean(raw)
        if text is None:
            continue
        entry = (number, text)
        tail.append(entry)
        error = looks_like_error(text)
        if error:
            mark = _fingerprint(text)
            if mark in seen:
                continue  # a repeat says nothing new, and is no one's context either
            if len(seen) < MAX_FINGERPRINTS:
                seen.add(mark)
        if current is not None and len(current) < MAX_PASSAGE_LINES and (after > 0 or error):
            current.append(entry)
            after = CONTEXT_AFTER if error else after - 1
            if after == 0:
                current = None
            continue
        current = None
        if error:
            if len(found.passages) < MAX_PASSAGES:
                current = [*before, entry]
                found.passages.append(current)
                after = CONTEXT_AFTER
            else:
                found.more_errors += 1
        before.append(entry)
    found.lines = number
    found.tail = list(tail)
    return found
