"""Hypothesis strategies for CI job logs: lines made of what real logs hold and what trips a reader up."""

from __future__ import annotations

from itertools import chain

from hypothesis import strategies as st

from bot.investigation.log_lines import RAW_LINE_LIMIT

ERROR_WORDS = (
    "error", "Error:", "ERROR", "err!", "npm ERR!", "fail", "FAILED", "failure", "fails", "fatal", "Exception",
    "Traceback", "panic:", "exit code 1", "exit status 2", "Exit Code 0", "exited with", "assert", "core dumped",
    "segmentation fault", "killed", "OOMKilled", "out of memory", "timed out", "denied", "undefined reference",
    "cannot find", "could not", "unable to",
)  # fmt: skip
NEAR_MISSES = ("-Werror", "errors", "unfailing", "fatality", "undenied", "xkilled", "unable-to", "err", "exit")
PLAIN = ("compiling", "ok", "step 12", "42", "src/a.c", "_", "-", ":", "!", "é", "[", "]")
NOISE = (
    "\x1b[31m", "\x1b[0m", "\x1b[32;1m", "\x1b[0K", "\x1b]8;;https://ci.example/1\x07", "\x1b]0;title\x1b\\", "\x1bM",
    "\x1b", "\x1b[", "\x1b]", "\r", "\x01", "\x7f", "\x0c", "\x1c", "\t", "##[error]", "##[endgroup]",
    "section_start:1700000000:step_script", "section_end:1:build[collapsed=true]", "section_", "[x]",
)  # fmt: skip
# Characters whose lowered form is longer (İ), ASCII (the Kelvin sign), or depends on its neighbours (Σ).
UNICODE = ("İ", "FAİLED", "\u212aILLED", "Σ", "ΣΣ", "ß", "\u2028", "\u00a0", "\ufeff")
PIECES = (*ERROR_WORDS, *NEAR_MISSES, *PLAIN, *NOISE, *UNICODE)
# What stands at a line's start, where clean() strips or reads it.
STARTS = (
    "", "", "", "2024-01-01T00:00:00.1234567Z ", "2024-01-01T00:00:00Z", "\ufeff2024-01-01T00:00:00.0Z ",
    "2024-01-01T00:00:00.1Z  ", "##[group]", "##[endgroup]", "##[error]", "##[warning]", "##[section]", "##[command]",
    "##[", "section_start:1700000000:step_script\r\x1b[0K", "\x1b[0K", "downloading 50%\r", "a\r\r", "\r", "10\r",
    "\x01a\r",
)  # fmt: skip
ENDS = ("", "", "", "\r", "\r\r", " ", "\t", "\x1b[0m", "\u3000")
# Error words cut in two, for what clean() removes to be put between the halves.
HALVES = (("er", "ror"), ("fa", "iled"), ("ex", "ception"), ("kil", "led"), ("time", "d out"), ("e", "rr!"))
BETWEEN = ("\x1b[0m", "\x1b[31;1m", "\x01", "\x1b", "section_end:1:x[y]", "\r", "")
VERY_LONG = "😀" * 4_300  # more bytes than an unfinished line keeps while its end is to come
MARKERS = (
    "##[endgroup]", "2024-01-01T00:00:00.1234567Z ##[endgroup]", "##[endgroup]  ", "##[endgroup]\r", "x\r##[endgroup]",
    "##[endgroup]x", "\x1b[0m##[endgroup]",
)  # fmt: skip


def _body_piece() -> st.SearchStrategy[str]:
    split = st.builds(lambda halves, between: between.join(halves), st.sampled_from(HALVES), st.sampled_from(BETWEEN))
    # Text running up to where clean() stops keeping a line, so the cut falls in or after the next word.
    up_to_the_cut = st.builds(lambda n, sep: "x" * n + sep, st.integers(3_975, 4_000), st.sampled_from(("", " ", "-")))
    common = st.one_of(st.sampled_from((*PIECES, " ", " ")), split)
    long = st.one_of(up_to_the_cut, st.just(VERY_LONG))
    return st.one_of(*[common] * 30, *[st.text(max_size=4)] * 4, long)


def log_lines() -> st.SearchStrategy[str]:
    """One line (it may hold newlines of its own, and so be several)."""
    body = st.lists(_body_piece(), max_size=6).map("".join)
    built = st.builds(lambda *parts: "".join(parts), st.sampled_from(STARTS), body, st.sampled_from(ENDS))
    return st.one_of(*[built] * 8, cut_lines(), redrawn_lines())


def cut_lines() -> st.SearchStrategy[str]:
    """Lines that clean() cuts ``k`` characters into their last word, so the cut may make or unmake an error."""
    return st.builds(
        lambda k, word: "x" * (RAW_LINE_LIMIT - 1 - k) + " " + word,
        st.integers(1, 9),
        st.sampled_from((*ERROR_WORDS, *NEAR_MISSES)),
    )


def redrawn_lines() -> st.SearchStrategy[str]:
    """A progress line redrawn: what was on screen, carriage returns, what is left (an error, or not)."""
    return st.builds(
        lambda before, returns, after, control: before + returns + after + control,
        st.sampled_from(("a", "10", "50%", "")),
        st.sampled_from(("\r", "\r\r")),
        st.sampled_from((*ERROR_WORDS, *NEAR_MISSES)),
        st.sampled_from(("", "\x01", "\x1b")),  # with another control character the block loses its returns
    )


def plain_lines() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from((*PLAIN, *NEAR_MISSES)), max_size=5).map(" ".join)


def error_lines() -> st.SearchStrategy[str]:
    """Error lines that are rarely repeats of each other (digits don't tell failures apart)."""
    return st.builds("{} {}".format, st.sampled_from(ERROR_WORDS), st.text("abcdefgh", min_size=1, max_size=5))


def logs() -> st.SearchStrategy[list[str]]:
    """The lines of a log: runs of plain lines between bursts of any, failures repeated as they are."""

    def from_pool(pool: list[str]) -> st.SearchStrategy[list[str]]:
        any_lines = st.lists(log_lines(), min_size=1, max_size=6)
        segment = st.one_of(
            any_lines,
            any_lines,
            any_lines,
            st.lists(plain_lines(), max_size=20),
            st.lists(st.sampled_from(pool), min_size=1, max_size=12),
            st.lists(error_lines(), min_size=1, max_size=16),
            st.builds(
                lambda error, after: [error, *after], error_lines(), st.lists(plain_lines(), min_size=3, max_size=5)
            ),
            st.sampled_from(MARKERS).map(lambda marker: [marker]),
        )
        return st.lists(segment, min_size=1, max_size=30).map(lambda segments: list(chain.from_iterable(segments)))

    return st.lists(log_lines(), min_size=1, max_size=8).flatmap(from_pool)
