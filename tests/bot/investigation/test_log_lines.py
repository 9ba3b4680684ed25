"""A log line's rules: what clean() leaves of it, and what looks like an error."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.investigation.log_lines import ERROR, ERROR_PHRASES, clean, looks_like_error
from tests.bot.investigation.log_strategies import PIECES

THE_ALTERNATION = re.compile("|".join(ERROR_PHRASES))  # ERROR as the phrases read


def test_colour_codes_group_markers_and_gitlab_sections_are_noise() -> None:
    assert clean("\x1b[31;1mERROR: boom\x1b[0m") == "ERROR: boom"
    assert clean("2024-01-01T00:00:00.0000000Z ##[endgroup]") is None
    assert clean("2024-01-01T00:00:00.1234567Z ##[group]Run npm test") == "Run npm test"
    assert clean("section_start:1700000000:step_script\r\x1b[0KExecuting step") == "Executing step"


def test_error_words_and_their_look_alikes() -> None:
    for line in (
        "npm ERR! code 1",
        "FAILED tests/a.py",
        "Process exited with code 2",
        "OOMKilled",
        "Permission denied",
    ):
        assert looks_like_error(line), line
    for line in ("cc -Wall -Werror -c a.c", "0 failures", "unfailing", "exit code 0", "undenied", "no errors"):
        assert not looks_like_error(line), line


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join))
def test_the_pattern_grouped_by_first_letter_matches_where_the_alternation_does(text: str) -> None:
    for searched in (text, text.lower()):
        assert [m.span() for m in ERROR.finditer(searched)] == [m.span() for m in THE_ALTERNATION.finditer(searched)]
