"""The relevant part of a CI job's log: its error-looking passages with some context, and its tail.

A log may be tens of megabytes, so it is read once, line by line, keeping only
bounded state: a few lines before the current one (the context of an error that
comes next), the passages kept so far (a fixed number of a fixed length), a
fingerprint per distinct error line (so the same failure repeated a thousand
times is shown once), and the last lines. After the passage cap, error lines
are only counted, and the tail is still kept to the end.

Lines are cleaned first: ANSI colour codes, GitHub Actions' timestamp prefixes
and ``##[group]`` markers, GitLab's section markers and carriage-return
progress redraws are noise to a reader. Secrets are redacted on whole passages
before anything is cut, so a cut can't leave half a token a detector no longer
recognises.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.redaction import redact

CONTEXT_BEFORE = 3  # lines shown before an error line
CONTEXT_AFTER = 3  # and after it
MAX_PASSAGES = 6  # error passages kept per log; later error lines are only counted
MAX_PASSAGE_LINES = 14  # a passage that keeps finding errors stops growing here
TAIL_LINES = 20
MAX_FINGERPRINTS = 10_000  # distinct error lines remembered for de-duplication
RAW_LINE_LIMIT = 4_000  # characters of a line kept at all; far more than is ever shown
SHOWN_LINE_LIMIT = 200  # characters of a line shown

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
GITHUB_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ?")
GITHUB_COMMAND = re.compile(r"^##\[(group|command|debug|notice|warning|section)\]")
GITHUB_ERROR = re.compile(r"^##\[error\]")
GITHUB_NOISE = re.compile(r"^##\[endgroup\]\s*$")
GITLAB_SECTION = re.compile(r"section_(start|end):\d+:[A-Za-z0-9_.-]+(\[[^\]]*\])?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Searched in the lowered line: a case-insensitive search of this alternation costs ten times more.
ERROR = re.compile(
    r"(\berror\b|\berr!|\bfail(ed|ure|s)?\b|\bfatal\b|exception|traceback|\bpanic|"
    r"exit (code|status) [1-9]|exited with|assert|segmentation fault|core dumped|\bkilled\b|oomkilled|"
    r"out of memory|timed out|\bdenied\b|undefined reference|cannot find|could not|\bunable to\b)"
)
DIGITS = re.compile(r"\d+")


def clean(line: str) -> str | None:
    """A log line as a reader wants it; None for a line that is only a marker."""
    line = line[:RAW_LINE_LIMIT]
    if "\r" in line:  # a progress bar redrawn in place: what was left on screen is the last part
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    # Each pattern runs only where its cue is: a 50 MB log is mostly plain lines.
    if line[:1].isdigit() or line[:1] == "\ufeff":
        line = GITHUB_TIMESTAMP.sub("", line)
    if line.startswith("##["):
        if GITHUB_NOISE.match(line):
            return None
        line = GITHUB_COMMAND.sub("", GITHUB_ERROR.sub("Error: ", line))
    if "\x1b" in line:
        line = ANSI.sub("", line)
    if "section_" in line:
        line = GITLAB_SECTION.sub("", line)
    if not line.isprintable():
        line = CONTROL.sub("", line)
    return line.rstrip()


# Every match of ERROR contains one of these; plain substring tests skip the regex for most lines.
ERROR_CUES = (
    "err", "fail", "fatal", "exception", "traceback", "panic", "exit", "assert", "segmentation", "dumped",
    "killed", "memory", "timed out", "denied", "undefined", "cannot", "could not", "unable",
)  # fmt: skip


def looks_like_error(line: str) -> bool:
    lowered = line.lower()
    return any(cue in lowered for cue in ERROR_CUES) and ERROR.search(lowered) is not None


def _fingerprint(line: str) -> int:
    # Numbers differ between repeats of one failure (line numbers, durations, ids).
    return hash(DIGITS.sub("#", line.strip().lower()))


Numbered = tuple[int, str]  # line number (from 1) and text


@dataclass
class Excerpt:
    lines: int = 0
    passages: list[list[Numbered]] = field(default_factory=list)
    more_errors: int = 0  # error-looking lines after the passage cap, repeats excluded
    tail: list[Numbered] = field(default_factory=list)


def excerpt(lines: Iterable[str]) -> Excerpt:
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
