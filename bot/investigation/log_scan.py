"""The lines of a block of a log that must be read one by one: the few that can be errors or markers.

Every other line of a log is plain, and the excerpt keeps a plain line only by
its position (context around an error, the tail), so it needs cleaning only
there. Finding the few other lines takes a handful of passes of the regex
engine and string methods over the whole block, not Python code per line.

The block is prepared the way :func:`clean` prepares each line (colour codes,
GitLab section markers and control characters removed, then lowered) and
:data:`ERROR` is searched in it once. Its lines still hold what clean() strips
from their start (a timestamp, a ``##[group]`` marker), and where that leaves
the error's first letter right after a ``]`` or a space, as clean() leaves it
at the line's start or after ``Error:``, the search finds the same words. What
the block can't show the way clean() shows it is found by its cue and read as
a whole line: a line longer than clean() keeps, a carriage-return redraw, a
``##[endgroup]`` marker, a timestamp glued to the word after it. So a line
this leaves out is, once cleaned, neither a marker nor an error-looking line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from bot.investigation.log_lines import ANSI, CONTROL, ERROR, GITLAB_SECTION, RAW_LINE_LIMIT

MARKER = re.compile(re.escape("##[endgroup]"))
REDRAW = re.compile(r"\r[^\r\n]")  # a carriage return with more after it: clean() keeps only what follows
GLUED_TIMESTAMP = re.compile(r"Z(?=\w)(?<=\dZ)")  # "…:00.1234567Zerror": cleaned, the word starts the line
# Control characters clean() removes, but for those the block is searched for on their own: a carriage
# return ends a redraw or a line, an escape starts a colour code.
OTHER_CONTROL = bytes(c for c in (*range(0x20), 0x7F) if c not in b"\t\n\r\x1b")


def lines_to_read(block: bytes, text: str, lines: list[str]) -> list[int]:
    """The indices, ascending, of the ``lines`` that may be markers or errors once cleaned.

    ``text`` is ``block`` decoded and ``lines`` is ``text`` split at its newlines."""
    chosen: set[int] = set()
    if max(map(len, lines), default=0) > RAW_LINE_LIMIT:
        chosen.update(i for i, line in enumerate(lines) if len(line) > RAW_LINE_LIMIT)
    for cue in (MARKER, REDRAW):
        chosen.update(_found_in(cue, text))
    prepared = ANSI.sub("", text) if "\x1b" in text else text
    if "section_" in prepared:
        prepared = GITLAB_SECTION.sub("", prepared)
    # Control bytes are single bytes in UTF-8, so the block's bytes tell whether there are any.
    if "\x1b" in prepared or len(block.translate(None, OTHER_CONTROL)) != len(block):
        prepared = CONTROL.sub("", prepared)
    chosen.update(_found_in(GLUED_TIMESTAMP, prepared))
    chosen.update(_found_in(ERROR, prepared.lower()))  # lowering keeps every newline where it was
    return sorted(chosen)


def _found_in(pattern: re.Pattern[str], text: str) -> Iterator[int]:
    """The indices of the lines of ``text`` that ``pattern`` matches in."""
    return _line_indices(text, _first_per_line(pattern, text))


def _first_per_line(pattern: re.Pattern[str], text: str) -> Iterator[int]:
    position = 0
    while (match := pattern.search(text, position)) is not None:
        yield match.start()
        position = text.find("\n", match.end()) + 1
        if not position:
            return


def _line_indices(text: str, positions: Iterable[int]) -> Iterator[int]:
    line = at = 0
    for position in positions:  # ascending
        line += text.count("\n", at, position)
        at = position
        yield line
