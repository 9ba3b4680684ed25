"""Slack message bodies: long answers with buttons stay within Slack's block limits."""

from __future__ import annotations

from bot.clients.slack_markup import SECTION_LIMIT, blocks
from bot.model import Button


def test_a_long_answer_with_buttons_is_split_into_sections_slack_accepts() -> None:
    lines = [f"line {n}: " + "x" * 90 for n in range(100)]  # about 10,000 characters
    built = blocks("\n".join(lines), [Button("Approve", "opsbot_approve", "abc123")])
    sections = [b["text"]["text"] for b in built if b["type"] == "section"]
    assert len(sections) > 1
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    assert "\n".join(sections) == "\n".join(lines)  # cut at line breaks, nothing lost
    assert built[-1]["type"] == "actions"


def test_one_unbroken_run_is_cut_at_the_limit() -> None:
    sections = [b["text"]["text"] for b in blocks("y" * 7_000, [Button("Go", "a", "v")]) if b["type"] == "section"]
    assert [len(s) for s in sections] == [3_000, 3_000, 1_000]
