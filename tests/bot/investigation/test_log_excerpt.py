"""The log excerpter: error lines with context, the tail, bounded on any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.investigation.log_excerpt import MAX_BLOCKS, TAIL_LINES, LogExcerpter, cost, lines_of, render

BUDGET = 2_000


def excerpt_of(lines: list[str]) -> str:
    reader = LogExcerpter()
    for line in lines:
        reader.feed(line)
    return render(reader.excerpt(), BUDGET)


def test_the_error_line_comes_with_its_context_and_the_tail() -> None:
    lines = [f"2024-01-01T00:00:00.0000000Z step {n}" for n in range(1000)]
    lines[500] = "2024-01-01T00:00:00.0000000Z \x1b[31mAssertionError: expected 200, got 503\x1b[0m"
    text = excerpt_of(lines)
    assert "501: AssertionError: expected 200, got 503" in text
    assert "500: step 499" in text
    assert "502: step 501" in text
    assert "1000: step 999" in text
    assert "2024-01-01T" not in text
    assert "\x1b" not in text


def test_a_secret_in_a_log_line_is_redacted() -> None:
    text = excerpt_of(["error: login failed with token ghp_" + "a1B2" * 10])
    assert "ghp_" not in text
    assert "REDACTED" in text


def test_a_private_key_block_is_hidden_line_by_line() -> None:
    text = excerpt_of(
        ["-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM", "-----END RSA PRIVATE KEY-----"]
    )
    assert "MIIE" not in text


def test_group_markers_are_dropped_and_error_markers_read_as_errors() -> None:
    text = excerpt_of(["##[group]Run pytest", "##[error]Process completed with exit code 1.", "##[endgroup]"])
    assert "##[" not in text
    assert "error: Process completed with exit code 1." in text


def test_a_long_line_without_newlines_stays_bounded_while_split() -> None:
    lines = list(lines_of([b"x" * 100_000, b"y" * 100_000, b"\nnext\n"]))
    assert len(lines) == 2
    assert len(lines[0]) <= 16_384
    assert lines[1] == "next"


@given(st.lists(st.text(max_size=400), max_size=300))
def test_any_lines_give_a_bounded_excerpt_that_keeps_the_first_error_and_the_tail(lines: list[str]) -> None:
    lines = [*lines, "FATAL: the very first error", *[f"tail {n}" for n in range(TAIL_LINES)]]
    text = excerpt_of(lines)
    assert cost(text) <= BUDGET
    assert f"tail {TAIL_LINES - 1}" in text


@given(st.integers(min_value=MAX_BLOCKS + 1, max_value=200))
def test_error_lines_past_the_cap_are_counted_not_shown(errors: int) -> None:
    reader = LogExcerpter()
    for n in range(errors):
        reader.feed(f"error in module_{chr(97 + n % 26)}{'x' * (n // 26)}")
        reader.feed("ok")
        reader.feed("ok")
        reader.feed("ok")
        reader.feed("ok")
    found = reader.excerpt()
    assert len(found.blocks) == MAX_BLOCKS
    assert found.error_lines == errors
