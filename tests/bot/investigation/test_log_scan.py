"""The block search: every line that may be a marker or an error once cleaned is chosen, and few others."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.investigation.log_lines import clean, looks_like_error
from bot.investigation.log_scan import lines_to_read
from tests.bot.investigation.log_strategies import log_lines


def chosen(lines: list[str]) -> tuple[list[str], list[int]]:
    block = "".join(f"{line}\n" for line in lines).encode()
    text = block.decode()
    split = text.split("\n")[:-1]
    return split, lines_to_read(block, text, split)


@settings(max_examples=500)
@given(st.lists(log_lines(), max_size=40))
def test_a_line_left_out_is_neither_a_marker_nor_an_error(lines: list[str]) -> None:
    split, indices = chosen(lines)
    assert indices == sorted(set(indices))
    for index, line in enumerate(split):
        if index not in indices:
            cleaned = clean(line)
            assert cleaned is not None, line
            assert not looks_like_error(cleaned), line


@pytest.mark.parametrize(
    "line",
    [
        "2024-01-01T00:00:00.1234567Zerror: glued to its timestamp",
        "2024-01-01T00:00:00Z\x1b[31merror\x1b[0m: glued once the colour is gone",
        "\x01downloading 10\rError: what the redraw left on screen",  # the \x01 gone, so is the \r
        "x" * 3_995 + " failing",  # cut where clean() stops keeping: "… fail"
        "er\x01ror: a control character inside the word",
        "err\x1bor: an escape that starts no colour code",
        "err\x1b[0mor: a colour code inside the word",
        "fa" + "section_end:1700000000:build[collapsed=true]" + "iled",
        "2024-01-01T00:00:00.0000000Z ##[endgroup]",
        "\x1b[31;1mERROR: coloured\x1b[0m",
        "##[error]Process completed with exit code 1.",
    ],
)
def test_what_clean_changes_in_a_line_is_still_found(line: str) -> None:
    cleaned = clean(line)
    assert cleaned is None or looks_like_error(cleaned)
    assert chosen(["cc -Wall -Werror -c a.c", line, "cc -Wall -Werror -c b.c"])[1] == [1]


def test_only_the_lines_that_may_matter_are_chosen() -> None:
    lines = [f"2024-01-01T00:00:00.0000000Z [{i}] cc -Wall -Werror -c f{i}.c" for i in range(1_000)]
    lines[10] += " error: undefined symbol"
    lines[500] = "2024-01-01T00:00:00.0000000Z ##[endgroup]"
    lines[700] = "\x1b[31mFAILED\x1b[0m test_x"
    assert chosen(lines)[1] == [10, 500, 700]


def test_a_colour_code_never_reaches_into_the_next_line() -> None:
    # An OSC sequence left open ends at its line: one closed lines later must not swallow the lines between.
    assert chosen(["\x1b]8;;https://ci.example/1", "error: boom", "ok", "done \x07"])[1] == [1]
    assert chosen(["section_end:1:x[open", "fatal: no", "]"])[1] == [1]
