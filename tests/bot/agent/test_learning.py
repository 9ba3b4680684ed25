"""Lessons in the agent's answer: Remember sections and # Add To Memory: blocks."""

from __future__ import annotations

import pytest

from bot.agent.learning import Lesson, lessons


def test_add_to_memory_blocks_are_kept_and_taken_out_of_the_answer() -> None:
    answer = (
        "**Summary**: Done.\n\n```markdown\n# Add To Memory:\nType: Performance\nContent: Caching the api\n"
        "config halved p99\n#\n```\n\n**Remember**: null"
    )
    found, shown = lessons(answer)
    assert found == [Lesson("performance", "Caching the api config halved p99", "block")]
    assert shown == "**Summary**: Done."


@pytest.mark.parametrize(
    "empty", ["**Remember**: null", "Remember: None.", "**Remember:** []", "- **Remember**: `null`"]
)
def test_a_remember_section_that_says_nothing_is_not_shown(empty: str) -> None:
    found, shown = lessons(f"**Summary**: api is healthy.\n\n**Approach**: read the metrics.\n\n{empty}\n")
    assert found == []
    assert shown == "**Summary**: api is healthy.\n\n**Approach**: read the metrics."


def test_a_remember_section_with_lessons_stays() -> None:
    answer = '**Summary**: x\n\n**Remember**: ["context: prod runs on EKS 1.31"]'
    assert lessons(answer)[1] == answer


def test_a_block_with_an_unknown_type_is_not_a_lesson() -> None:
    found, shown = lessons("# Add To Memory:\nType: gossip\nContent: Bob is late\n#\n")
    assert found == []
    assert shown == ""


def test_the_remember_section_as_a_json_list_with_categories() -> None:
    found, _ = lessons(
        '**Summary**: x\n**Remember**: ["context: prod runs on EKS 1.31", "Check locks before deploys",\n'
        '"mistake: forgot the migration"]'
    )
    assert found == [
        Lesson("context", "prod runs on EKS 1.31", "remember-section"),
        Lesson("guideline", "Check locks before deploys", "remember-section"),
        Lesson("mistake", "forgot the migration", "remember-section"),
    ]


def test_the_remember_section_as_bullets_under_a_heading() -> None:
    found, _ = lessons("## Summary\nok\n## Remember\n- strategy: canary 5% first\n- pattern: one pipeline per env\n")
    assert [(x.type, x.content) for x in found] == [
        ("strategy", "canary 5% first"),
        ("pattern", "one pipeline per env"),
    ]


def test_null_and_prose_are_not_lessons() -> None:
    assert lessons("Remember to unlock staging afterwards.\n**Remember**: null")[0] == []
    assert lessons("**Remember**: None")[0] == []
    assert lessons("Nothing to remember here.")[0] == []


def test_the_last_remember_section_counts() -> None:
    found, _ = lessons('**Remember**: ["guideline: old"]\n\nOn second thought:\n**Remember**: ["guideline: new"]')
    assert [x.content for x in found] == ["new"]
