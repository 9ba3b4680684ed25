"""The relevant part of a CI job's log: its error-looking passages with some context, and its tail.

A log may be tens of megabytes, so it is read once as it arrives, keeping only
bounded state: a few lines before the current one (the context of an error that
comes next), the passages kept so far (a fixed number of a fixed length), a
fingerprint per distinct error line (so the same failure repeated a thousand
times is shown once), and the last lines. After the passage cap, error lines
are only counted, and the tail is still kept to the end.

Only lines that may be errors or markers are read one by one
(:mod:`bot.investigation.log_scan` finds them in each block of the log); the
plain lines between them are context or tail by their position alone, so at
most a few of each run are cleaned. Secrets are redacted on whole passages
before anything is cut, so a cut can't leave half a token a detector no longer
recognises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.investigation.log_lines import RAW_LINE_LIMIT, clean, fingerprint, looks_like_error
from bot.investigation.log_scan import lines_to_read
from bot.redaction import redact

CONTEXT_BEFORE = 3  # lines shown before an error line
CONTEXT_AFTER = 3  # and after it
MAX_PASSAGES = 6  # error passages kept per log; later error lines are only counted
MAX_PASSAGE_LINES = 14  # a passage that keeps finding errors stops growing here
TAIL_LINES = 20
MAX_FINGERPRINTS = 10_000  # distinct error lines remembered for de-duplication
SHOWN_LINE_LIMIT = 200  # characters of a line shown
BLOCK_BYTES = 64 * 1024  # a log is searched in blocks of at least this much, however small its chunks
# Bytes of an unfinished line kept while its end has not arrived: RAW_LINE_LIMIT characters at most
# 4 bytes each, and the bytes one more needs, so a character cut there is past what clean() keeps.
KEPT_LINE_BYTES = 4 * RAW_LINE_LIMIT + 4

Numbered = tuple[int, str]  # line number (from 1) and text


@dataclass
class Excerpt:
    lines: int = 0
    passages: list[list[Numbered]] = field(default_factory=list)
    more_errors: int = 0  # error-looking lines after the passage cap, repeats excluded
    tail: list[Numbered] = field(default_factory=list)


class _Reading:
    """What is kept of a log so far, the lines given in order."""

    def __init__(self) -> None:
        self.found = Excerpt()
        self.before: deque[Numbered] = deque(maxlen=CONTEXT_BEFORE)
        self.tail: deque[Numbered] = deque(maxlen=TAIL_LINES)
        self.seen: set[int] = set()
        self.current: list[Numbered] | None = None  # the passage still taking lines after its error
        self.after = 0  # lines it still takes, while it is not None
        self.number = 0  # lines read

    def line(self, raw: str) -> None:
        """Read the next line, whatever it is."""
        self.number += 1
        text = clean(raw)
        if text is None:
            return
        entry = (self.number, text)
        self.tail.append(entry)
        error = looks_like_error(text)
        if error:
            mark = fingerprint(text)
            if mark in self.seen:
                return  # a repeat says nothing new, and is no one's context either
            if len(self.seen) < MAX_FINGERPRINTS:
                self.seen.add(mark)
        if self.current is not None and len(self.current) < MAX_PASSAGE_LINES and (self.after > 0 or error):
            self.current.append(entry)
            self.after = CONTEXT_AFTER if error else self.after - 1
            if self.after == 0:
                self.current = None
            return
        self.current = None
        if error:
            if len(self.found.passages) < MAX_PASSAGES:
                self.current = [*self.before, entry]
                self.found.passages.append(self.current)
                self.after = CONTEXT_AFTER
            else:
                self.found.more_errors += 1
        self.before.append(entry)

    def plain(self, lines: list[str], start: int, end: int) -> None:
        """Read ``lines[start:end]``, none of them a marker or an error once cleaned: as :meth:`line`
        would one by one, but cleaning only those a passage, the context before or the tail keeps."""
        count = end - start
        if count <= 0:
            return
        first = self.number + 1 - start  # the number of lines[i] is first + i
        taken = 0
        if self.current is not None:  # its context after
            taken = max(min(self.after, MAX_PASSAGE_LINES - len(self.current), count), 0)
            self.current += _entries(lines, start, start + taken, first)
            self.after -= taken
            if self.after == 0:  # else it is full, or still taking lines after this run
                self.current = None
        self.before.extend(_entries(lines, max(start + taken, end - CONTEXT_BEFORE), end, first))
        self.tail.extend(_entries(lines, max(start, end - TAIL_LINES), end, first))
        self.number += count

    def block(self, block: bytes) -> None:
        """Read the lines of ``block``, which ends with a newline."""
        text = block.decode("utf-8", "replace")
        lines = text.split("\n")
        lines.pop()  # what follows the last newline: nothing
        done = 0
        for index in lines_to_read(block, text, lines):
            self.plain(lines, done, index)
            self.line(lines[index])
            done = index + 1
        self.plain(lines, done, len(lines))


def _entries(lines: list[str], start: int, end: int, first: int) -> list[Numbered]:
    return [(first + i, text) for i in range(start, end) if (text := clean(lines[i])) is not None]


def excerpt(log: Iterable[bytes], *, block_bytes: int = BLOCK_BYTES) -> Excerpt:
    """Read ``log``, the bytes of a log in chunks cut anywhere, keeping only what :func:`render` may show.

    Lines end at newlines and are decoded as UTF-8, an invalid byte read as U+FFFD. They are searched
    in blocks of whole lines, each from at least ``block_bytes`` bytes of chunks gathered."""
    reading = _Reading()
    pending: list[bytes] = []  # chunks not read yet, the first one perhaps the start of an unfinished line
    size = 0
    skipping = False  # past the part of an unfinished line that is kept
    for chunk in log:
        if skipping:
            end = chunk.find(b"\n")
            if end < 0:
                continue
            chunk, skipping = chunk[end:], False
        pending.append(chunk)
        size += len(chunk)
        if size < block_bytes:
            continue
        joined = b"".join(pending)
        # A newline byte is never part of a longer UTF-8 sequence: the lines before it decode alone.
        cut = joined.rfind(b"\n") + 1
        if cut:
            reading.block(joined[:cut])
        unfinished = joined[cut:]
        if len(unfinished) > KEPT_LINE_BYTES:
            unfinished, skipping = unfinished[:KEPT_LINE_BYTES], True
        pending, size = [unfinished], len(unfinished)
    if rest := b"".join(pending):
        reading.block(rest if rest.endswith(b"\n") else rest + b"\n")
    found = reading.found
    found.lines = reading.number
    found.tail = list(reading.tail)
    return found


def _redacted(lines: list[Numbered]) -> list[Numbered]:
    """One redaction over the whole passage, so a secret spread over lines (a key block) is found."""
    texts = redact("\n".join(text for _, text in lines)).split("\n")
    if len(texts) != len(lines):  # a multi-line secret became one marker: keep the numbers in step
        return [(lines[0][0], " ".join(texts))]
    return [(n, text) for (n, _), text in zip(lines, texts, strict=True)]


def _shown(entry: Numbered) -> str:
    number, text = entry
    if len(text) > SHOWN_LINE_LIMIT:
        text = text[: SHOWN_LINE_LIMIT - 1] + "…"
    return f"{number:>7}| {text}"


def _fit(lines: list[str], budget: int, *, keep_end: bool) -> tuple[list[str], int]:
    """As many of ``lines`` as fit in ``budget`` characters (the last ones if ``keep_end``), and how many were left."""
    kept: list[str] = []
    used = 0
    for line in reversed(lines) if keep_end else lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if keep_end:
        kept.reverse()
    return kept, len(lines) - len(kept)


def render(found: Excerpt, budget: int) -> str:
    """The excerpt in at most ``budget`` characters: error passages first, then the tail."""
    shown_numbers: set[int] = set()
    passage_lines: list[str] = []
    for passage in found.passages:
        if passage_lines:
            passage_lines.append("    …")
        for entry in _redacted(passage):
            passage_lines.append(_shown(entry))
            shown_numbers.add(entry[0])
    tail = [e for e in found.tail if e[0] not in shown_numbers]
    tail_lines = [_shown(entry) for entry in _redacted(tail)] if tail else []
    head = f"log: {found.lines:,} lines, {len(found.passages)} error-looking passages"
    if found.more_errors:
        head += f" ({found.more_errors:,} more error-looking lines not shown)"
    if not found.passages:
        head = f"log: {found.lines:,} lines, no error-looking lines"
    room = budget - len(head) - 40
    # Errors say what went wrong; the tail says how it ended. Each gets at least a share.
    errors, left = _fit(passage_lines, max(room - min(room // 3, _size(tail_lines)), 0), keep_end=False)
    ending, _ = _fit(tail_lines, room - _size(errors), keep_end=True)
    parts = [head]
    if errors:
        parts += ["error-looking lines:", *errors] + ([f"    … ({left} lines not shown)"] if left else [])
    if ending:
        parts += [f"last {len(ending)} lines:", *ending]
    text = "\n".join(parts)
    return text if len(text) <= budget else text[: max(budget - 1, 0)] + "…"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)
