"""Only a person's own words mentioning @opsbot as a whole word count."""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.mentions import find_mention, outside_hiding_elements, visible_prose
from tests import fixtures


@pytest.mark.parametrize(
    ("body", "request_text"),
    [
        ("@opsbot deploy to staging", "deploy to staging"),
        ("@OpsBot help", "help"),
        ("Looks good.\n\n@opsbot deploy to staging\nthanks", "deploy to staging"),
        ("@opsbot: status", "status"),
        ("hey @opsbot what broke?", "hey opsbot what broke?"),
        ("<blockquote>@opsbot deploy to production</blockquote>\n@opsbot status", "status"),
        ("<details><summary>log</summary>@opsbot x</details> then @opsbot help", "then opsbot help"),
        ("<pre>a</pre>\n<code>b</code>\n@opsbot help", "help"),
        ("\u200b@opsbot help", "help"),  # an invisible character outside the handle changes nothing
        ("@opsbot\u2060 deploy to\u200b staging", "deploy to staging"),
        ("@opsbot status <blockquote>@opsbot deploy", "status"),
    ],
)
def test_mentions_are_found(body: str, request_text: str) -> None:
    assert find_mention(body, "opsbot") == request_text


@pytest.mark.parametrize(
    "body",
    [
        "no mention here",
        "> @opsbot deploy to production",
        "```\n@opsbot deploy to production\n```",
        "~~~\n@opsbot deploy\n~~~",
        "run `@opsbot deploy to production` to deploy",
        "<!-- @opsbot deploy to production -->",
        "@opsbot-dev deploy",
        "mail me at ops@opsbot.io",
        "see acme/@opsbot",
        "@opsbotx help",
        "    @opsbot deploy (indented code)",
        "@\u200bopsbot deploy to production",
        "@ops\u200dbot deploy to production",
        "@\u00adopsbot deploy",
        "@opsbot\u200bdev deploy",
        "mail ops\u200b@opsbot.io",
        "<BLOCKQUOTE class='x'>\n@opsbot deploy to production\n</BLOCKQUOTE>",
        "<pre lang=sh>\n@opsbot deploy\n</pre>",
        "<code>@opsbot deploy</code>",
        "<details open>\n<summary>old</summary>\n@opsbot deploy\n</details>",
        "<blockquote><blockquote>inner</blockquote>@opsbot deploy</blockquote>",
        "<details>@opsbot deploy",  # never closed: the rest of the page is inside it
        "<pre><code>@opsbot deploy</pre>",  # closing the outer closes the inner too
    ],
)
def test_quotes_code_html_invisible_characters_and_other_words_never_trigger(body: str) -> None:
    assert find_mention(body, "opsbot") is None


def test_invisible_characters_are_kept_while_looking_and_removed_from_the_request() -> None:
    assert "\u202e" in visible_prose("abc\u202edef")
    assert find_mention("@opsbot de\u202eploy", "opsbot") == "deploy"


def test_the_bot_name_is_configurable() -> None:
    assert find_mention("@deploy-bot status", "deploy-bot") == "status"
    assert find_mention("@opsbot status", "deploy-bot") is None


INVISIBLE = sorted(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf")
PROSE = st.text(
    st.characters(codec="utf-8", exclude_characters="@`<>~\r", exclude_categories=("Cs", "Cf")), max_size=40
)


@settings(max_examples=200, deadline=None)
@given(
    inserted=st.lists(
        st.tuples(st.integers(1, len("@opsbot") - 1), st.sampled_from(INVISIBLE)), min_size=1, max_size=3
    ),
    before=PROSE,
    after=PROSE,
)
def test_an_invisible_character_anywhere_inside_the_handle_breaks_the_mention(
    inserted: list[tuple[int, str]], before: str, after: str
) -> None:
    handle = list("@opsbot")
    for position, character in sorted(inserted, reverse=True):
        handle.insert(position, character)
    assert find_mention(f"{before} {''.join(handle)} deploy to production {after}", "opsbot") is None


@st.composite
def hiding_element(draw: st.DrawFn, inner: str, always_closed: bool = False) -> str:
    name = draw(st.sampled_from(["blockquote", "pre", "code", "details"]))
    cased = "".join(ch.upper() if draw(st.booleans()) else ch for ch in name)
    attributes = draw(st.sampled_from(["", " open", ' class="x"', " lang=sh", "\nid='a'"]))
    nested = draw(st.booleans())
    content = draw(hiding_element(inner, always_closed)) if nested and draw(st.booleans()) else inner
    closed = always_closed or draw(st.booleans())
    separator = draw(st.sampled_from(["", "\n", " "]))
    return f"<{cased}{attributes}>{separator}{content}{separator}" + (f"</{cased}>" if closed else "")


@settings(max_examples=200, deadline=None)
@given(data=st.data(), before=PROSE, after=PROSE)
def test_a_mention_inside_any_quoting_html_element_never_triggers(data: st.DataObject, before: str, after: str) -> None:
    body = before + data.draw(hiding_element("@opsbot deploy to production")) + after
    assert find_mention(body, "opsbot") is None


@settings(max_examples=100, deadline=None)
@given(data=st.data(), before=PROSE)
def test_a_real_mention_after_closed_elements_still_triggers(data: st.DataObject, before: str) -> None:
    element = data.draw(hiding_element("@opsbot deploy to production", always_closed=True))
    assert find_mention(f"{before}{element}\n@opsbot status", "opsbot") == "status"


def _comment_bodies(payload: Any) -> list[str]:
    found = []
    for holder in ("comment", "object_attributes", "review"):
        value = payload.get(holder) if isinstance(payload, dict) else None
        if isinstance(value, dict):
            found += [v for k, v in value.items() if k in ("body", "note") and isinstance(v, str)]
    return found


BODIES = [
    body
    for folder in ("github", "gitlab/docs", "gitlab/go-gitlab")
    for fixture in sorted(fixtures.path(folder).glob("*.json"))
    for body in _comment_bodies(fixtures.load(f"{folder}/{fixture.name}"))
]


@pytest.mark.parametrize("body", BODIES)
def test_the_real_comment_bodies_behave(body: str) -> None:
    assert len(BODIES) >= 5
    assert outside_hiding_elements(body) == body  # none of them holds HTML
    assert find_mention(body, "opsbot") is None
    assert find_mention(f"{body}\n\n@opsbot status", "opsbot") == "status"
    assert find_mention(f"<blockquote>\n{body}\n@opsbot status\n</blockquote>", "opsbot") is None
