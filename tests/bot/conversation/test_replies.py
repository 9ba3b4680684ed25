"""Each reply posted once, on fakes: the local mark, the platform asked on a redelivery, what it already has."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.replies import LOOKBACK, SENT_TTL, Replies
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.fakes import FakeMarks, RecordingChat
from bot.model import Answer, Button, ChatMessage, Person, Place, SlackThread
from tests.bot.places import places

NOW = 1_800_000_000.0
OPS = SlackThread("C_OPS", "1800000000.000100")
BUTTONS = (Button("Approve", "approve", "d-1"), Button("Deny", "deny", "d-1"))
keys = st.text("abcdefghijklmnopqrstuvwxyz0123456789:-", min_size=1, max_size=30)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class LookingChat(RecordingChat):
    """Keeps each history lookup; ``refuse`` makes the platform turn them down."""

    def __init__(self, refuse: Exception | None = None) -> None:
        super().__init__()
        self.lookups: list[tuple[Place, str, float]] = []
        self._refuse = refuse

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        self.lookups.append((place, reply_key, since))
        if self._refuse is not None:
            raise self._refuse
        return await super().find_reply(place, reply_key, since=since)


async def send(
    replies: Replies, chat: RecordingChat, place: Place = OPS, text: str = "Deployed.", *, key: str = "k", again: bool
) -> str:
    return await replies.send(chat, place, text, reply_key=key, redelivered=again, asked_at=NOW)


@settings(max_examples=40, deadline=None)
@given(places, keys, st.booleans())
async def test_a_reply_sent_twice_is_posted_once_and_both_runs_know_its_id(
    place: Place, key: str, second_is_redelivery: bool
) -> None:
    replies, chat = Replies(FakeMarks(lambda: NOW)), LookingChat()
    first = await send(replies, chat, place, key=key, again=False)
    second = await send(replies, chat, place, "Deployed, again.", key=key, again=second_is_redelivery)
    assert first == second
    assert [(m.place, m.text, m.reply_key) for m in chat.messages.values()] == [(place, "Deployed.", key)]
    assert chat.lookups == [], "the local mark answered: the platform need not be asked"


@settings(max_examples=40, deadline=None)
@given(places, keys)
async def test_a_redelivery_that_lost_the_mark_finds_the_reply_on_the_platform(place: Place, key: str) -> None:
    chat = LookingChat()
    posted = await send(Replies(FakeMarks(lambda: NOW)), chat, place, key=key, again=False)
    # The worker died after the platform took the message, before the job was marked done;
    # the next worker has none of its marks.
    marks = FakeMarks(lambda: NOW)
    replies = Replies(marks)
    assert await send(replies, chat, place, key=key, again=True) == posted
    assert len(chat.messages) == 1
    assert chat.lookups == [(place, key, NOW - LOOKBACK)]
    # What the platform said is now marked: a third run doesn't ask again.
    assert await marks.get(f"sent:{key}") == posted
    assert await send(replies, chat, place, key=key, again=True) == posted
    assert len(chat.lookups) == 1


async def test_a_reply_under_another_key_or_elsewhere_is_not_taken_for_this_one() -> None:
    chat = LookingChat()
    await send(Replies(FakeMarks()), chat, key="m-1:answer", again=False)
    await send(Replies(FakeMarks()), chat, SlackThread("C_OTHER"), key="m-2:answer", again=False)
    await send(Replies(FakeMarks()), chat, key="m-2:answer", again=True)
    assert [(m.place, m.reply_key) for m in chat.messages.values()] == [
        (OPS, "m-1:answer"),
        (SlackThread("C_OTHER"), "m-2:answer"),
        (OPS, "m-2:answer"),
    ]


async def test_a_first_delivery_posts_without_asking_the_platform() -> None:
    chat = LookingChat()
    await send(Replies(FakeMarks()), chat, again=False)
    assert len(chat.messages) == 1
    assert chat.lookups == []


async def test_a_platform_that_refuses_the_lookup_gets_the_reply_anyway() -> None:
    # An answer posted twice beats no answer.
    chat = LookingChat(refuse=UpstreamRejected("Slack", "not_in_channel", status=200, code="not_in_channel"))
    marks = FakeMarks()
    posted = await send(Replies(marks), chat, again=True)
    assert chat.texts() == ["Deployed."]
    assert await marks.get("sent:k") == posted


async def test_a_platform_that_is_down_for_the_lookup_fails_the_job_and_posts_nothing() -> None:
    # Retried later rather than risking a second copy of a reply that may be there.
    chat = LookingChat(refuse=UpstreamUnavailable("Slack", "503", status=503))
    with pytest.raises(UpstreamUnavailable):
        await send(Replies(FakeMarks()), chat, again=True)
    assert chat.messages == {}


async def test_the_mark_lasts_a_week() -> None:
    clock = Clock()
    replies, chat = Replies(FakeMarks(clock)), LookingChat()
    await send(replies, chat, again=False)
    clock.now += SENT_TTL - 1
    await send(replies, chat, again=False)
    assert len(chat.messages) == 1
    clock.now += 1
    await send(replies, chat, again=False)
    assert len(chat.messages) == 2


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["answer", "failure"]), st.booleans())
async def test_an_answer_is_posted_with_its_buttons_under_the_message_and_part(part: str, as_text: bool) -> None:
    replies, chat = Replies(FakeMarks(lambda: NOW)), RecordingChat()
    message = ChatMessage("m-7", Person("slack", "U_ALICE"), OPS, "deploy api", "slash")
    answer: Answer | str = "Deployed." if as_text else Answer("Deploy to production?", BUTTONS)
    for redelivered in (False, True):
        await replies.answer(chat, message, answer, redelivered=redelivered, asked_at=NOW, part=part)
    [posted] = chat.messages.values()
    assert posted.reply_key == f"m-7:{part}"
    assert posted.place == OPS
    assert (posted.text, posted.buttons) == (("Deployed.", ()) if as_text else ("Deploy to production?", BUTTONS))


async def test_the_answer_and_the_failure_of_one_message_are_two_replies() -> None:
    replies, chat = Replies(FakeMarks()), RecordingChat()
    message = ChatMessage("m-7", Person("slack", "U_ALICE"), OPS, "deploy api", "slash")
    await replies.answer(chat, message, "Deploying…", redelivered=False, asked_at=NOW)
    await replies.answer(chat, message, "It failed.", redelivered=True, asked_at=NOW, part="failure")
    assert chat.texts() == ["Deploying…", "It failed."]


async def replace(replies: Replies, chat: RecordingChat, text: str, *, again: bool) -> str:
    return await replies.replace(chat, OPS, text, reply_key="k", redelivered=again, asked_at=NOW, buttons=BUTTONS)


async def test_a_replacement_edits_the_message_posted_under_its_key_with_its_buttons() -> None:
    replies, chat = Replies(FakeMarks(lambda: NOW)), LookingChat()
    posted = await send(replies, chat, text="🔎 Working on it…", again=False)
    assert await replace(replies, chat, "the answer", again=False) == posted
    [message] = chat.messages.values()
    assert (message.text, message.buttons, message.edits) == ("the answer", BUTTONS, ["the answer"])
    assert chat.lookups == []


async def test_a_replacement_with_nothing_to_replace_is_posted_once() -> None:
    replies, chat = Replies(FakeMarks(lambda: NOW)), LookingChat()
    posted = await replace(replies, chat, "the answer", again=False)
    assert chat.lookups == []  # a first run doesn't ask the platform
    assert await replace(replies, chat, "the answer", again=True) == posted
    [message] = chat.messages.values()
    assert (message.reply_key, message.buttons) == ("k", BUTTONS)


async def test_a_redelivered_replacement_finds_the_message_when_the_mark_is_lost() -> None:
    chat = LookingChat()
    posted = await send(Replies(FakeMarks(lambda: NOW)), chat, text="🔎 Working on it…", again=False)
    assert await replace(Replies(FakeMarks(lambda: NOW)), chat, "the answer", again=True) == posted
    assert chat.texts() == ["the answer"]


async def test_a_message_that_cant_be_edited_is_answered_with_a_new_one() -> None:
    marks = FakeMarks(lambda: NOW)
    await marks.set("sent:k", SENT_TTL, "")  # posted through a slash command's response_url
    chat = LookingChat()
    await replace(Replies(marks), chat, "the answer", again=False)
    assert chat.texts() == ["the answer"]
