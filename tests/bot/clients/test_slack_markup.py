"""Slack rendering: outside text never pings or links, opsbot's own tokens do, and everything fits."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.clients.slack_markup import (
    BLOCK_LIMIT,
    NOTE,
    SECTION_LIMIT,
    TEXT_LIMIT,
    blocks,
    channel_name,
    code_span,
    message_text,
    to_mrkdwn,
)
from bot.model import Button, Person
from bot.text import channel, code, link, strip_tokens
from tests.bot.clients.strategies import hostile
from tests.rendered import slack_problems

ALICE = Person("slack", "U_ALICE")


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_outside_text_has_no_live_sequence(text: str) -> None:
    # Outside text enters stripped of token characters (ChatMessage, Claude's answer, forge reads).
    assert slack_problems(to_mrkdwn(strip_tokens(text))) == []


@settings(max_examples=200, deadline=None)
@given(hostile, hostile)
def test_opsbot_tokens_are_live_around_outside_text(before: str, after: str) -> None:
    before, after = strip_tokens(before), strip_tokens(after)
    composed = f"{before} {ALICE.ref} {after} {channel('C_OPS')} {link('https://ci.example/1', after[:20] or 'x')}"
    rendered = to_mrkdwn(composed)
    assert slack_problems(rendered, people=["U_ALICE"], channels=["C_OPS"], links=["https://ci.example/1"]) == []
    assert re.findall(r"<[^<>]*>", rendered)[:2] == ["<@U_ALICE>", "<#C_OPS>"]


def test_examples_from_the_report_render_as_text() -> None:
    rendered = to_mrkdwn("<!channel> <!here> <@U_BOB> <#C1> <https://evil|https://github.com/acme> & **bold**")
    assert rendered == (
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U_BOB&gt; &lt;#C1&gt; "
        "&lt;https://evil|https://github.com/acme&gt; &amp; *bold*"
    )
    assert to_mrkdwn("see [https://github.com/acme](https://evil.example)") == (
        "see https://github.com/acme (https://evil.example)"
    )


@settings(max_examples=50, deadline=None)
@given(st.integers(TEXT_LIMIT - 10, TEXT_LIMIT * 2), st.sampled_from(["a", "<", "&", " <@U_X> "]))
def test_message_text_is_cut_to_slacks_limit_with_a_note_never_inside_an_entity(size: int, unit: str) -> None:
    text = (unit * (size // len(unit) + 1))[:size] + ALICE.ref
    sent = message_text(text)
    assert len(sent) <= TEXT_LIMIT
    if len(to_mrkdwn(text)) > TEXT_LIMIT:
        assert sent.endswith(NOTE)
        kept = sent.removesuffix(NOTE)
        assert re.search(r"&[a-z]*$|<[^>]*$", kept) is None  # no half entity or sequence before the note


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 60_000), st.integers(0, 30), st.text(min_size=0, max_size=120), st.text(max_size=2_100))
def test_blocks_are_always_ones_slack_accepts(size: int, buttons: int, label: str, value: str) -> None:
    text = ("line of words & <stuff>\n" * (size // 24 + 1))[:size]
    built = blocks(text, [Button(label, f"act_{n}", value) for n in range(buttons)])
    assert len(built) <= BLOCK_LIMIT
    for block in built:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.to_dict()  # validates every nested element; raises SlackObjectFormationError on what Slack refuses
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in built if b["type"] == "section")


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


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_channel_names_are_ones_slack_accepts(wanted: str) -> None:
    assert re.fullmatch(r"[a-z0-9_-]{1,80}", channel_name(wanted))


def test_a_valid_channel_name_is_kept() -> None:
    assert channel_name("inc-20261202-checkout-is-down") == "inc-20261202-checkout-is-down"


@given(hostile)
@example("**0**")  # bold markup inside code is literal, in both
def test_a_quoted_command_renders_as_the_general_renderer_renders_code(text: str) -> None:
    assert code_span(text) == to_mrkdwn(code(text))


def test_a_sub_task_line_is_indented_visibly_in_slack() -> None:
    rendered = to_mrkdwn("- [ ] [Ops] Migrate\n  - [x] [Ops] Set up VPC\n  - [ ] [Ops] Deploy <EKS>\nnot  - [ ] a line")
    assert rendered.splitlines() == [
        "- [ ] [Ops] Migrate",
        "\u2003↳ [x] [Ops] Set up VPC",
        "\u2003↳ [ ] [Ops] Deploy &lt;EKS&gt;",
        "not  - [ ] a line",
    ]
