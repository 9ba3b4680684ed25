"""When two lessons say the same thing: the rule that merges near-duplicates.

Each lesson becomes a set of lightly stemmed words (lower case, possessive
and plural/-ed/-ing endings off, a final "e" off, filler words dropped but
"never"/"no"/"not" kept: they flip a rule). Two lessons are the same when
the Jaccard similarity of their sets reaches ``JACCARD``, or when the
smaller set (of at least ``MIN_CONTAINED`` words) is almost all inside the
larger one (``CONTAINED`` of it): "never deploy on Fridays" and "never
deploy on a Friday" are one lesson; "api runs on port 8443" and "web runs
on port 8080" are two.

Measured on tests/bot/memory/near_duplicates.yaml (42 hand-labelled pairs of
ops lessons, 20 duplicates): precision 1.00, recall 1.00 at these thresholds
(the test asserts floors of 0.95 and 0.8).
"""

from __future__ import annotations

import re

JACCARD = 0.6
CONTAINED = 0.8
MIN_CONTAINED = 3

_FILLER_WORDS = """a an the and or but of to in on at by for from with is are was be been it its this that these those
    we you they our your their do does did if so as into then than when there them us"""
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _stem(word: str) -> str:
    word = word.removesuffix("'s").replace("'", "")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou0123456789":
        word = word[:-1]  # running -> runn -> run
    return word.removesuffix("e") if len(word) > 3 else word


def stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(text.lower()) if w not in _FILLER)


def near_duplicates(one: str, other: str) -> bool:
    a, b = stems(one), stems(other)
    if not a or not b:
        return a == b
    shared = len(a & b)
    if shared / len(a | b) >= JACCARD:
        return True
    smaller = min(len(a), len(b))
    return smaller >= MIN_CONTAINED and shared / smaller >= CONTAINED
