"""One message addressed to opsbot, on fakes: a command runs, free text goes to the assistant, a
malformed command answers its usage, failures are told in plain words, a redelivery answers once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.entry import Entry, Section
from bot.commands.grammar import UsageProblem, name
from bot.commands.table import CommandTable
from bot.conversation.chatops import ChatOps, NoChat
from bot.conversation.replies import Replies
from bot.errors import CommandError, UpstreamRejected, UpstreamUnavailable
from bot.failures import explain
from bot.fakes import FakeMarks, Posted, RecordingChat
from bot.model import Answer, Button, ChatMessage, GitHubThread, Person, Place, SlackThread
from bot.text import code
from tests.bot.places import github_threads, gitlab_threads, places, slack_threads

BOT = "opsbot"
OPS = SlackThread("C_OPS", "1800000000.000100")
PULL = GitHubThread("acme/api", 7, True)
ALICE = Person("slack", "U_ALICE")
ASKED_AT = 1_800_000_000.0


@dataclass(frozen=True)
class Ping:
    service: str


@dataclass(frozen=True)
class Refuse:
    pass


@dataclass(frozen=True)
class Crash:
    pass


class Service:
    """A feature's service as the table sees it: it keeps what it was asked to do."""

    def __init__(self) -> None:
        self.ran: list[tuple[object, str]] = []

    async def ping(self, command: Ping, message: ChatMessage) -> str:
        self.ran.append((command, message.id))
        return f"pong {command.service}"

    async def refuse(self, command: Refuse, message: ChatMessage) -> str:
        self.ran.append((command, message.id))
        raise CommandError("`api` is locked by U_BOB until 17:00")

    async def crash(self, command: Crash, message: ChatMessage) -> str:
        self.ran.append((command, message.id))
        raise UpstreamUnavailable("GitHub", "502 Bad Gateway", status=502)


def parse_ping(args: list[str]) -> Ping:
    if len(args) != 1:
        raise UsageProblem("needs one service")
    return Ping(name(args[0], "service"))


ENTRIES: list[Entry[Service, object]] = [
    Entry(Ping, ("ping",), "ping <service>", "answer pong", parse_ping, Service.ping),  # type: ignore[arg-type]
    Entry(Refuse, ("refuse",), "refuse", "say no", lambda _: Refuse(), Service.refuse),  # type: ignore[arg-type]
    Entry(Crash, ("crash",), "crash", "fail upstream", lambda _: Crash(), Service.crash),  # type: ignore[arg-type]
]
COMMAND_WORDS = ("help", "ping", "refuse", "crash")


class Assistant:
    def __init__(self) -> None:
        self.asked: list[ChatMessage] = []

    async def answer(self, message: ChatMessage) -> Answer:
        self.asked.append(message)
        return Answer(f"the agent on: {message.text}", (Button("Approve", "approve", "d-1"),))


class GrumpyChat(RecordingChat):
    """A chat whose 👀 reaction fails, as Slack's does in a channel opsbot can't react in."""

    async def acknowledge(self, message: ChatMessage) -> None:
        raise UpstreamRejected("Slack", "not_reactable", status=200, code="not_reactable")


@dataclass
class Desk:
    chatops: ChatOps
    chat: RecordingChat
    service: Service
    assistant: Assistant
    marks: FakeMarks

    def at(self, place: Place) -> list[Posted]:
        return [m for m in self.chat.messages.values() if m.place == place]


def desk(chat: RecordingChat | None = None, marks: FakeMarks | None = None) -> Desk:
    chat = chat or RecordingChat()
    marks = marks or FakeMarks(lambda: ASKED_AT)
    service, assistant = Service(), Assistant()
    table = CommandTable(BOT, Section(service, ENTRIES))
    chats = {"slack": chat, "github": chat, "gitlab": chat, "console": chat}
    return Desk(ChatOps(chats, Replies(marks), table, assistant, BOT), chat, service, assistant, marks)  # type: ignore[arg-type]


def said(text: str, place: Place = OPS, message_id: str = "m-1") -> ChatMessage:
    author = ALICE if place.platform == "slack" else Person(place.platform, "octocat")
    return ChatMessage(message_id, author, place, text, "slash" if place.platform == "slack" else "mention")


async def test_a_command_runs_and_its_answer_is_posted_in_the_thread() -> None:
    d = desk()
    await d.chatops.handle(said("ping api"), redelivered=False, asked_at=ASKED_AT)
    [reply] = d.chat.messages.values()
    assert (reply.place, reply.text, reply.reply_key) == (OPS, "pong api", "m-1:answer")
    assert d.service.ran == [(Ping("api"), "m-1")]
    assert d.assistant.asked == []
    assert d.chat.acknowledged == ["m-1"]


async def test_command_words_are_read_whatever_their_case() -> None:
    d = desk()
    assert await d.chatops.respond(said("PING web")) == "pong web"


# Text whose first word is no command word.
free_words = st.text("abcdefghijklmnopqrstuvwxyz?'", min_size=1, max_size=12).filter(
    lambda w: w.strip("'").lower() not in COMMAND_WORDS and w.count("'") == 0
)
free_text = st.lists(free_words, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(free_text, places)
async def test_free_text_goes_to_the_assistant_and_its_answer_keeps_its_buttons(text: str, place: Place) -> None:
    d = desk()
    await d.chatops.handle(said(text, place), redelivered=False, asked_at=ASKED_AT)
    [asked] = d.assistant.asked
    assert asked.text == text
    assert d.service.ran == []
    [reply] = d.at(place)
    assert reply.text == f"the agent on: {text}"
    assert reply.buttons == (Button("Approve", "approve", "d-1"),)


async def test_a_question_that_starts_with_help_goes_to_the_assistant() -> None:
    d = desk()
    await d.chatops.respond(said("help me read this stack trace"))
    assert [m.text for m in d.assistant.asked] == ["help me read this stack trace"]


async def test_an_empty_message_answers_what_opsbot_understands() -> None:
    d = desk()
    answer = await d.chatops.respond(said("   "))
    assert isinstance(answer, str)
    assert f"{code('/ops ping <service>')} — answer pong" in answer
    assert d.assistant.asked == []


@pytest.mark.parametrize(
    ("place", "prefix"), [(OPS, "/ops "), (PULL, f"@{BOT} ")], ids=["slack", "github"]
)  # fmt: skip
@pytest.mark.parametrize("text", ["ping", "ping api web", "ping 'api", "ping $(curl)"])
async def test_a_malformed_command_answers_its_usage_and_runs_nothing(place: Place, prefix: str, text: str) -> None:
    d = desk()
    await d.chatops.handle(said(text, place), redelivered=False, asked_at=ASKED_AT)
    [reply] = d.at(place)
    assert reply.text.startswith("`ping` ")
    assert reply.text.endswith(f". Usage: `{prefix}ping <service>`")
    assert d.service.ran == []
    assert d.assistant.asked == []


async def test_a_refused_command_answers_in_the_words_of_the_refusal() -> None:
    d = desk()
    await d.chatops.handle(said("refuse"), redelivered=False, asked_at=ASKED_AT)
    [reply] = d.chat.texts()
    assert reply == "`api` is locked by U_BOB until 17:00"


async def test_an_upstream_failure_is_left_to_the_worker_and_nothing_is_posted() -> None:
    d = desk()
    with pytest.raises(UpstreamUnavailable):
        await d.chatops.handle(said("crash"), redelivered=False, asked_at=ASKED_AT)
    assert d.chat.messages == {}


async def test_a_failure_is_told_in_plain_words_with_its_error_id_once() -> None:
    d = desk()
    message = said("crash")
    with pytest.raises(UpstreamUnavailable) as raised:
        await d.chatops.handle(message, redelivered=False, asked_at=ASKED_AT)
    text = explain(raised.value, error_id="E-1A2B3C4D", attempts=3)
    await d.chatops.report_failure(message, text, asked_at=ASKED_AT)
    await d.chatops.report_failure(message, text, asked_at=ASKED_AT)  # the report's job ran twice
    [reply] = d.chat.messages.values()
    assert reply.reply_key == "m-1:failure"
    assert reply.text == (
        "GitHub is not answering right now (HTTP 502). I tried 3 times. "
        "Please try again in a few minutes. (error id E-1A2B3C4D)"
    )


async def test_a_failure_report_whose_local_mark_is_gone_finds_the_report_already_posted() -> None:
    chat = RecordingChat()
    first, second = desk(chat), desk(chat)  # the second worker has lost the first one's marks
    message = said("crash")
    await first.chatops.report_failure(message, "it failed (error id E-1)", asked_at=ASKED_AT)
    await second.chatops.report_failure(message, "it failed (error id E-2)", asked_at=ASKED_AT)
    assert chat.texts() == ["it failed (error id E-1)"]


async def test_a_failure_after_an_answer_is_still_told() -> None:
    d = desk()
    message = said("ping api")
    await d.chatops.handle(message, redelivered=False, asked_at=ASKED_AT)
    await d.chatops.report_failure(message, "it failed (error id E-1)", asked_at=ASKED_AT)
    assert d.chat.texts() == ["pong api", "it failed (error id E-1)"]


async def test_an_agent_task_that_failed_turns_its_progress_message_into_the_failure() -> None:
    d = desk()
    message = said("why is staging slow?")
    progress = await Replies(d.marks).send(
        d.chat, OPS, "🔎 Working on it…", reply_key="m-1:answer", redelivered=False, asked_at=ASKED_AT
    )
    await d.chatops.report_failure(message, "it failed (error id E-1)", asked_at=ASKED_AT)
    [(posted_id, posted)] = d.chat.messages.items()
    assert (posted_id, posted.text) == (progress, "it failed (error id E-1)")


async def test_an_agent_task_that_failed_before_showing_progress_posts_the_failure() -> None:
    d = desk()
    await d.chatops.report_failure(said("why is staging slow?"), "it failed (error id E-1)", asked_at=ASKED_AT)
    [posted] = d.chat.messages.values()
    assert (posted.reply_key, posted.text) == ("m-1:failure", "it failed (error id E-1)")


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["ping api", "refuse", "what is up with staging?"]), places, st.booleans())
async def test_a_redelivered_message_is_answered_once(text: str, place: Place, marks_lost: bool) -> None:
    chat = RecordingChat()
    first = desk(chat)
    again = desk(chat) if marks_lost else first  # a worker that died may have taken no mark with it
    message = said(text, place)
    await first.chatops.handle(message, redelivered=False, asked_at=ASKED_AT)
    await again.chatops.handle(message, redelivered=True, asked_at=ASKED_AT)
    [reply] = chat.messages.values()
    assert reply.reply_key == f"{message.id}:answer"
    assert chat.acknowledged == [message.id]


async def test_two_messages_get_two_answers() -> None:
    d = desk()
    await d.chatops.handle(said("ping api", message_id="m-1"), redelivered=False, asked_at=ASKED_AT)
    await d.chatops.handle(said("ping api", message_id="m-2"), redelivered=False, asked_at=ASKED_AT)
    assert d.chat.texts() == ["pong api", "pong api"]


async def test_an_acknowledgement_that_fails_does_not_stop_the_answer() -> None:
    d = desk(GrumpyChat())
    await d.chatops.handle(said("ping api"), redelivered=False, asked_at=ASKED_AT)
    assert d.chat.texts() == ["pong api"]


@settings(max_examples=20, deadline=None)
@given(st.one_of(slack_threads, github_threads, gitlab_threads))
def test_a_platform_without_credentials_is_named(place: Place) -> None:
    chatops = ChatOps({}, Replies(FakeMarks()), CommandTable(BOT), Assistant(), BOT)
    with pytest.raises(NoChat, match=place.platform):
        chatops.chat_for(place)
