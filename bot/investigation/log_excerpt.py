"""The part of a CI job's log worth reading: error-looking lines with some context, and the tail.

Logs can be tens of megabytes, so they are read as a stream of lines with bounded
state: a ring buffer of the lines before an error, a deque for the tail, and a cap
on the error blocks kept (the tail is still kept after it). Each kept line is
cleaned (GitHub's timestamp prefix, ``##[group]`` markers, GitLab's section markers
and ANSI colour codes removed) and redacted before it is cut to length, so a cut
can never leave part of a secret behind.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bot.redaction import redact

CONTEXT_BEFORE = 3
CONTEXT_AFTER = 3
TAIL_LINES = 20
MAX_BLOCKS = 8  # error blocks kept per job; later error lines are only counted
MAX_SEEN = 500  # distinct error lines remembered for de-duplication
LINE_LIMIT = 300  # characters of one shown line
RAW_LINE_LIMIT = 16_384  # bytes of one line kept while splitting; the rest of a longer line is dropped

TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
GITLAB_SECTION = re.compile(r"section_(start|end):\d+:[A-Za-z0-9_.-]+(\[[^\]]*\])?")
NOISE = re.compile(r"^##\[(group|endgroup)\]")
ERROR = re.compile(
    r"(?i)(\b(error|errors|failed|failure|exception|traceback|panic|fatal|assert\w*|segmentation fault|"
    r"timed out|oomkilled|killed)\b|exit (code|status) [1-9]|##\[error\])"
)
NOTHING_FAILED = re.compile(r"(?i)\b0 (errors?|failed|failures)\b")
KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY")
KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY")
DIGITS = re.compile(r"\d+")


def clean(line: str) -> str | None:
    """The line as a person would read it, or None for markers that carry nothing."""
    line = line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")
    line = TIMESTAMP.sub("", line)
    line = GITLAB_SECTION.sub("", ANSI.sub("", line))
    if NOISE.match(line):
        return None
    line = line.replace("##[error]", "error: ").replace("##[warning]", "warning: ")
    return line.rstrip() or None


def is_error(line: str) -> bool:
    return ERROR.search(line) is not None and NOTHING_FAILED.search(line) is None


def lines_of(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines of a byte stream, decoded leniently; an overlong line is kept to its first RAW_LINE_LIMIT bytes."""
    pending = bytearray()
    overlong = False
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            if not overlong:
                pending += chunk[start:end][: RAW_LINE_LIMIT - len(pending)]
            yield pending.decode("utf-8", "replace")
            pending.clear()
            overlong = False
            start = end + 1
        if not overlong:
            pending += chunk[start:][: RAW_LINE_LIMIT - len(pending)]
            overlong = len(pending) >= RAW_LINE_LIMIT
    if pending:
        yield pending.decode("utf-8", "replace")


@dataclass
class Excerpt:
    blocks: list[list[tuple[int, str]]] = field(default_factory=list)
    tail: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0
    error_lines: int = 0
    repeated: int = 0  # error lines like one already shown
    past_cap: int = 0  # error lines after the block cap, counted only


class LogExcerpter:
    """Fed one line at a time (:meth:`feed`), then asked for the :class:`Excerpt`. Never raises on any text."""

    def __init__(self) -> None:
        self._before: deque[tuple[int, str]] = deque(maxlen=CONTEXT_BEFORE)
        self._tail: deque[tuple[int, str]] = deque(maxlen=TAIL_LINES)
        self._seen: set[str] = set()
        self._after = 0
        self._in_key = False
        self._done = Excerpt()

    def feed(self, raw: str) -> None:
        found = self._done
        found.lines += 1
        text = clean(raw)
        if text is None:
            return
        text = self._hide_keys(text)
        entry = (found.lines, text)
        self._tail.append(entry)
        if self._after > 0:
            self._after -= 1
            found.blocks[-1].append(entry)
            if is_error(text):
                found.error_lines += 1
                self._after = CONTEXT_AFTER
            return
        if not is_error(text):
            self._before.append(entry)
            return
        found.error_lines += 1
        if len(found.blocks) >= MAX_BLOCKS:
            found.past_cap += 1
            return
        shape = DIGITS.sub("#", text.lower())
        if shape in self._seen:
            found.repeated += 1
            return
        if len(self._seen) < MAX_SEEN:
            self._seen.add(shape)
        found.blocks.append([*self._before, entry])
        self._before.clear()
        self._after = CONTEXT_AFTER

    def _hide_keys(self, text: str) -> str:
        """A private key's body lines look like nothing to a line-by-line redactor: hidden whole."""
        if KEY_BEGIN.search(text):
            self._in_key = KEY_END.search(text) is None
            return "[REDACTED private-key]"
        if self._in_key:
            self._in_key = KEY_END.search(text) is None
            return "[REDACTED private-key]"
        return text

    def excerpt(self) -> Excerpt:
        found = self._done
        last_shown = found.blocks[-1][-1][0] if found.blocks else 0
        found.tail = [entry for entry in self._tail if entry[0] > last_shown]
        return found


def shown(text: str) -> str:
    """One line as the model reads it: redacted whole, then cut."""
    text = redact(text)
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"


def cost(text: str) -> int:
    """Characters ``text`` takes once JSON-encoded, as the model's tool result is counted."""
    return len(json.dumps(text)) - 2


def render(found: Excerpt, budget: int) -> str:
    """The excerpt as text within ``budget`` encoded characters: error blocks first, then the tail."""
    head = (
        f"{found.lines:,} lines, {found.error_lines:,} error-looking"
        + (f" ({found.repeated:,} like earlier ones)" if found.repeated else "")
        + (f", {found.past_cap:,} past the first {MAX_BLOCKS} blocks not shown" if found.past_cap else "")
    )
    out, used = [head], cost(head) + 1
    tail = [f"  {n}: {shown(t)}" for n, t in found.tail]
    tail_cost = sum(cost(x) + 1 for x in tail) + 40
    block_budget = max(budget // 2, budget - tail_cost)
    for block in found.blocks:
        for n, t in block:
            line = f"  {n}: {shown(t)}"
            if used + cost(line) + 1 > block_budget:
                break
            out.append(line)
            used += cost(line) + 1
        else:
            out.append("  …")
            used += 4
            continue
        break
    if tail:
        out.append("last lines:")
        used += 12
        kept: list[str] = []
        for line in reversed(tail):
            if used + cost(line) + 1 > budget:
                break
            kept.append(line)
            used += cost(line) + 1
        out.extend(reversed(kept))
    return "\n".join(out)
