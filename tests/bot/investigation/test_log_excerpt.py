"""The log excerpter: error passages with context, the tail, bounded whatever the log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.investigation.log_excerpt import KEPT_LINE_BYTES, MAX_PASSAGES, Excerpt, excerpt, render
from bot.investigation.log_lines import RAW_LINE_LIMIT
from tests.bot.investigation.line_by_line import line_by_line_excerpt, lines_of
from tests.bot.investigation.log_strategies import logs

NOISE = [f"2024-01-01T00:00:{i % 60:02d}.0000000Z step {i}: compiling module {i}" for i in range(500)]


def read(lines: Iterable[str]) -> Excerpt:
    """The excerpt of a log of ``lines``, streamed a line a chunk."""
    return excerpt(f"{line}\n".encode() for line in lines)


def test_an_error_line_is_shown_with_its_context_and_the_tail() -> None:
    lines = [*NOISE[:200], "2024-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.", *NOISE[200:]]
    text = render(read(lines), 4_000)
    assert "Error: Process completed with exit code 1." in text
    assert "step 199: compiling" in text  # context before
    assert "step 200: compiling" in text  # and after
    assert "step 499: compiling" in text  # the tail
    assert "2024-01-01T00:00" not in text  # timestamps stripped


def test_a_secret_in_a_log_line_is_redacted() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    text = render(read([*NOISE[:50], f"Error: push failed with token {token}", *NOISE[:30]]), 4_000)
    assert token not in text
    assert token[:12] not in text
    assert "REDACTED" in text


def test_a_repeated_failure_is_shown_once_and_later_errors_only_counted() -> None:
    repeated = [f"Error: connection refused to db (attempt {i})" for i in range(1_000)]
    names = ("alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta")
    distinct = [line for name in names for line in (f"FAILED test_{name}", *NOISE[:10])]
    found = read([*repeated, *NOISE[:10], *distinct, "done"])
    assert sum("connection refused" in text for p in found.passages for _, text in p) == 1
    assert len(found.passages) == MAX_PASSAGES
    assert found.more_errors > 0
    assert found.tail[-1][1] == "done"


def test_no_error_lines_says_so_and_keeps_the_tail() -> None:
    text = render(read(NOISE), 2_000)
    assert "no error-looking lines" in text
    assert "step 499" in text


@given(st.lists(st.text(max_size=300), max_size=300), st.integers(min_value=200, max_value=6_000))
def test_any_log_renders_within_its_budget(lines: list[str], budget: int) -> None:
    assert len(render(read(lines), budget)) <= budget


@given(
    st.lists(st.from_regex(r"[a-z ]{0,60}", fullmatch=True), min_size=30, max_size=200),
    st.integers(min_value=0, max_value=29),
)
def test_an_error_line_and_the_last_line_are_kept(noise: list[str], at: int) -> None:
    lines = [*noise[:at], "fatal: the build broke here", *noise[at:], "the very last line"]
    text = render(read(lines), 4_000)
    assert "fatal: the build broke here" in text
    assert "the very last line" in text


def test_a_huge_log_is_read_once_into_bounded_state() -> None:
    def lines() -> Iterator[str]:
        for i in range(50_000):
            yield f"line {i} " + "x" * 100 + (" error" if i % 997 == 0 else "")

    found = read(lines())
    assert found.lines == 50_000
    assert len(found.passages) <= MAX_PASSAGES
    assert len(render(found, 4_500)) <= 4_500


# Bytes that are no UTF-8: a stray continuation, a sequence cut short, an encoded surrogate.
INVALID = (b"\xff", b"\x80", b"\xe2\x82", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98")


@settings(max_examples=300)
@given(
    logs(),
    st.booleans(),
    st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(INVALID)), max_size=3),
    st.lists(st.integers(min_value=0), max_size=30),
    st.integers(min_value=1, max_value=300),
)
def test_a_log_in_chunks_cut_anywhere_reads_as_it_does_line_by_line(
    lines: list[str], final_newline: bool, invalid: list[tuple[int, bytes]], cuts: list[int], block_bytes: int
) -> None:
    log = "\n".join(lines).encode() + (b"\n" if final_newline else b"")
    for at, junk in invalid:
        at %= len(log) + 1
        log = log[:at] + junk + log[at:]
    # Cuts fall anywhere: mid-line, mid-character, twice at one place (an empty chunk); small blocks
    # make the search start and stop at them.
    edges = [0, *sorted(cut % (len(log) + 1) for cut in cuts), len(log)]
    chunks = [log[start:end] for start, end in pairwise(edges)]
    assert excerpt(iter(chunks), block_bytes=block_bytes) == line_by_line_excerpt(lines_of(log))


def test_a_line_longer_than_is_kept_over_many_chunks_is_one_line_cut() -> None:
    huge = b"error: " + "😀".encode() * KEPT_LINE_BYTES  # four times the bytes kept of a line still arriving
    log = [b"start\n", *(huge[i : i + 1_000] for i in range(0, len(huge), 1_000)), b"\nend\n"]
    found = excerpt(iter(log), block_bytes=1_000)
    assert found.lines == 3
    assert found.passages == [[(1, "start"), (2, "error: " + "😀" * (RAW_LINE_LIMIT - 7)), (3, "end")]]
    assert found.tail[-1] == (3, "end")
    assert found == line_by_line_excerpt(lines_of(b"".join(log)))
