"""The near-duplicate rule, measured on the hand-labelled pairs beside this test."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.memory.similarity import near_duplicates

PAIRS = Path(__file__).with_name("near_duplicates.yaml")


def test_the_rule_merges_duplicates_and_keeps_distinct_lessons_apart() -> None:
    pairs = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))
    assert len(pairs) >= 40
    assert sum(1 for dup, _, _ in pairs if dup) >= 15
    judged = [(bool(dup), near_duplicates(one, other)) for dup, one, other in pairs]
    true_positives = sum(1 for dup, said in judged if dup and said)
    said_duplicate = sum(1 for _, said in judged if said)
    duplicates = sum(1 for dup, _ in judged if dup)
    precision = true_positives / said_duplicate
    recall = true_positives / duplicates
    assert precision >= 0.95, f"precision {precision:.2f}"
    assert recall >= 0.8, f"recall {recall:.2f}"


@given(st.text(max_size=100), st.text(max_size=100))
def test_the_rule_is_symmetric_and_a_lesson_is_its_own_duplicate(one: str, other: str) -> None:
    assert near_duplicates(one, other) == near_duplicates(other, one)
    assert near_duplicates(one, one)
