"""Forge rendering: outside text never notifies, links in disguise or hides HTML; opsbot's markers
survive, and bodies and titles fit GitHub's and GitLab's limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clients.forge_markup import (
    GITHUB,
    GITLAB,
    github_body,
    github_title,
    gitlab_description,
    gitlab_title,
    to_markdown,
    to_title,
)
from bot.conversation.markers import has_reply_marker, with_reply_marker
from bot.model import Person
from bot.text import code, hidden, link, strip_tokens
from tests.bot.clients.strategies import hostile
from tests.rendered import NOTIFYING, forge_problems

DETAILS = "https://ci.example/run/1"


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_outside_text_can_not_notify_link_or_hide_anything(text: str) -> None:
    assert forge_problems(to_markdown(strip_tokens(text))) == []


@settings(max_examples=200, deadline=None)
@given(hostile, hostile)
def test_opsbot_markers_and_links_survive_around_outside_text(before: str, after: str) -> None:
    before, after = strip_tokens(before), strip_tokens(after)
    composed = (
        f"{hidden('opsbot:todos')}\n{before} {link(DETAILS, 'details')} {Person('slack', 'U_A').ref}"
        f" {code('@opsbot deploy <service>')}\n{after}"
    )
    body = github_body(composed, suffix=with_reply_marker("", "k:1"))
    assert forge_problems(body, links=[DETAILS]) == []
    assert body.startswith("<!-- opsbot:todos -->\n")
    assert has_reply_marker(body, "k:1")
    assert f"[details]({DETAILS})" in body
    assert "`@opsbot deploy <service>`" in body  # opsbot's own code is shown as written, ready to copy


def test_examples_render_as_people_expect() -> None:
    assert to_markdown("ping @octocat and @acme/team, mail a@b.com") == (
        "ping @\u2060octocat and @\u2060acme/team, mail a@b.com"
    )
    assert to_markdown("<!-- opsbot:reply x --> & [https://github.com](https://evil.example)") == (
        "&lt;!-- opsbot:reply x --> &amp; https://github.com (https://evil.example)"
    )
    assert to_markdown("keep **bold** and\n```\na && <b>\n```\n") == "keep **bold** and\n```\na && <b>\n```\n"
    # A backtick on one line can pair with one on a later line: inline code is escaped too.
    assert to_markdown("x `\nPost `a <text>`") == "x `\nPost `a &lt;text>`"
    assert to_markdown("```\n<!--\n") == "```\n<!--\n```\n"  # an open fence is closed


@settings(max_examples=50, deadline=None)
@given(st.integers(GITHUB["body"] - 50, GITHUB["body"] * 2), st.sampled_from(["a", "<", "@x ", "&", "\n```\n"]))
def test_a_long_comment_is_cut_with_a_note_and_keeps_its_reply_marker(size: int, unit: str) -> None:
    text = (unit * (size // len(unit) + 1))[:size]
    body = github_body(text, suffix=with_reply_marker("", "k:2"))
    assert len(body) <= GITHUB["body"]
    assert has_reply_marker(body, "k:2")
    assert forge_problems(body) == []
    if len(to_markdown(text)) + 40 > GITHUB["body"]:
        assert "(truncated: too long for GitHub)" in body


@settings(max_examples=30, deadline=None)
@given(st.integers(GITLAB["description_bytes"] // 4 - 10, GITLAB["description_bytes"] // 2))
def test_a_gitlab_description_is_cut_by_bytes(size: int) -> None:
    description = gitlab_description("€€" * (size // 2) + "é" * 3)
    assert len(description.encode()) <= GITLAB["description_bytes"]


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_titles_fit_and_do_not_notify(text: str) -> None:
    for title, limit in ((github_title(strip_tokens(text)), 256), (gitlab_title(strip_tokens(text)), 255)):
        assert len(title) <= limit
        assert "\n" not in title
        assert NOTIFYING.search(title) is None


def test_a_300_character_title_is_cut_visibly() -> None:
    title = github_title("[Incident] sev1: " + "checkout " * 40)
    assert len(title) <= 256
    assert title.endswith(" (truncated)")
    assert to_title("a\nb  @c") == "a b @\u2060c"
