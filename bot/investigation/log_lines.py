"""One line of a CI job's log: what a reader sees of it, and whether it looks like an error.

Lines are cleaned first: ANSI colour codes, GitHub Actions' timestamp prefixes
and ``##[group]`` markers, GitLab's section markers and carriage-return
progress redraws are noise to a reader.
"""

from __future__ import annotations

import re

RAW_LINE_LIMIT = 4_000  # characters of a line kept at all; far more than is ever shown

# No pattern that clean() runs on the whole line can reach past a newline, so the same patterns
# also run over a block of many lines at once (bot/investigation/log_scan.py) with the same result.
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
GITHUB_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ?")
GITHUB_COMMAND = re.compile(r"^##\[(group|command|debug|notice|warning|section)\]")
GITHUB_ERROR = re.compile(r"^##\[error\]")
GITHUB_NOISE = re.compile(r"^##\[endgroup\]\s*$")
GITLAB_SECTION = re.compile(r"section_(start|end):\d+:[A-Za-z0-9_.-]+(\[[^\]\n]*\])?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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


# What an error looks like, searched in the lowered line (a case-insensitive search costs ten times more).
# Each phrase starts with a letter, after a word boundary where it is written with one.
ERROR_PHRASES = (
    r"\berror\b", r"\berr!", r"\bfail(ed|ure|s)?\b", r"\bfatal\b", "exception", "traceback", r"\bpanic",
    "exit (code|status) [1-9]", "exited with", "assert", "segmentation fault", "core dumped", r"\bkilled\b",
    "oomkilled", "out of memory", "timed out", r"\bdenied\b", "undefined reference", "cannot find", "could not",
    r"\bunable to\b",
)  # fmt: skip


def _by_first_letter(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The alternation of ``phrases``, its branches grouped by first letter, each leading ``\\b`` written
    as a look-behind after that letter (``e(?<!\\w.)`` is ``\\be``).

    When every branch starts with a letter the regex engine skips from one of those letters to the
    next; a branch starting with ``\\b`` makes it try every branch at every character, which is
    fifteen times slower over a 50 MB log."""
    branches: dict[str, list[str]] = {}
    for phrase in phrases:
        bounded = phrase.startswith(r"\b")
        rest = phrase.removeprefix(r"\b")
        branches.setdefault(rest[0], []).append((r"(?<!\w.)" if bounded else "") + rest[1:])
    return re.compile("|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in branches.items()))


ERROR = _by_first_letter(ERROR_PHRASES)

# Every match of ERROR contains one of these; plain substring tests skip the regex for most lines.
ERROR_CUES = (
    "err", "fail", "fatal", "exception", "traceback", "panic", "exit", "assert", "segmentation", "dumped",
    "killed", "memory", "timed out", "denied", "undefined", "cannot", "could not", "unable",
)  # fmt: skip


def looks_like_error(line: str) -> bool:
    lowered = line.lower()
    return any(cue in lowered for cue in ERROR_CUES) and ERROR.search(lowered) is not None


DIGITS = re.compile(r"\d+")


def fingerprint(line: str) -> int:
    """The same for repeats of one failure, whose numbers differ (line numbers, durations, ids)."""
    return hash(DIGITS.sub("#", line.strip().lower()))
