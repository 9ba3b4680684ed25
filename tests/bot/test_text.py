"""opsbot's own formatting tokens: made only by the core, never by outside text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import ChatMessage, Person, SlackThread
from bot.text import (
    ChannelRef,
    Hidden,
    Link,
    Mention,
    channel,
    hidden,
    link,
    mention_handle,
    plain,
    segments,
    strip_tokens,
)
from tests.bot.clients.strategies import hostile


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_stripped_text_is_one_plain_run(text: str) -> None:
    assert segments(strip_tokens(text)) in ([], [strip_tokens(text)])


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_a_chat_message_can_not_carry_tokens(text: str) -> None:
    message = ChatMessage("m1", Person("slack", "U_A"), SlackThread("C1"), text, "slash")
    assert all(isinstance(s, str) for s in segments(message.text))
    assert ChatMessage.from_json(message.to_json()).text == message.text


@settings(max_examples=200, deadline=None)
@given(hostile, hostile)
def test_fields_can_not_break_out_of_their_token(url_tail: str, label: str) -> None:
    composed = link("https://x.example/" + url_tail.replace(" ", ""), label) + hidden(label) + channel(label)
    assert not any(isinstance(s, Mention) for s in segments(composed))


def test_tokens_parse_back() -> None:
    text = f"{Person('slack', 'U1').ref}{channel('C1')}{link('https://a.example', 'A')}{hidden('opsbot:x')}"
    assert segments(text) == [
        Mention("slack", "U1"),
        ChannelRef("C1"),
        Link("https://a.example", "A"),
        Hidden("opsbot:x"),
    ]
    assert plain(text) == "U1#C1A (https://a.example)"


def test_a_link_that_is_not_http_is_only_text() -> None:
    assert segments(link("javascript:alert(1)", "docs")) == ["docs (javascript:alert(1))"]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_handles_name_people_or_stay_words(handle: str) -> None:
    found = segments(mention_handle(strip_tokens(handle)))
    assert all(isinstance(s, str | Mention) for s in found)


def test_handles() -> None:
    assert segments(mention_handle("U_ALICE")) == [Mention("slack", "U_ALICE")]
    assert segments(mention_handle("github:octocat")) == [Mention("github", "octocat")]
    assert mention_handle("opsbot") == "opsbot"
