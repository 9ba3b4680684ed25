"""The console edge: who is typing (``/as``), which room a line went to, and piped input settled line by line."""

from __future__ import annotations

import io
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from bot.commands.entry import Entry, Section
from bot.commands.table import CommandTable
from bot.config import PERSON
from bot.conversation.chatops import ChatOps
from bot.conversation.replies import Replies
from bot.errors import UpstreamUnavailable
from bot.fakes import FakeMarks
from bot.model import ChatMessage, ConsoleThread, Person
from bot.text import mention
from handlers.console import ConsoleChat, ConsoleRooms, Typist, run_console, switch_user

BOT = "opsbot"


@dataclass(frozen=True)
class Whoami:
    pass


@dataclass(frozen=True)
class Crash:
    pass


class Desk:
    """A feature's service as the command table sees it."""

    async def whoami(self, command: Whoami, message: ChatMessage) -> str:
        return f"you are {message.author.ref} in {message.place.platform}"

    async def crash(self, command: Crash, message: ChatMessage) -> str:
        raise UpstreamUnavailable("GitHub", "502 Bad Gateway", status=502)


ENTRIES: list[Entry[Desk, object]] = [
    Entry(Whoami, ("whoami",), "whoami", "who is asking", lambda _: Whoami(), Desk.whoami),  # type: ignore[arg-type]
    Entry(Crash, ("crash",), "crash", "fail upstream", lambda _: Crash(), Desk.crash),  # type: ignore[arg-type]
]


def console(out: io.StringIO) -> ChatOps:
    marks = FakeMarks(lambda: 0.0)
    table = CommandTable(BOT, Section(Desk(), ENTRIES))
    return ChatOps({"console": ConsoleChat(out, "C_SHELL")}, Replies(marks), table, None, BOT)  # type: ignore[arg-type]


async def test_as_changes_who_is_typing_from_the_next_line_on() -> None:
    out = io.StringIO()
    lines = "/ops whoami\n/as U_CAROL\n/ops whoami\n/as\n"
    await run_console(console(out), user="U_SHELL", channel="C_SHELL", bot_name=BOT, stdin=io.StringIO(lines), out=out)
    assert out.getvalue().splitlines() == [
        "you are U_SHELL in console",
        "Now typing as U_CAROL.",
        "you are U_CAROL in console",
        "You are typing as U_CAROL. `/as <user>` types as someone else (a user id, as ops.yaml has it).",
    ]


@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_as_takes_only_a_person_as_ops_yaml_names_them_and_never_echoes_anything_else(who: str) -> None:
    typist = Typist("U_SHELL", "C_SHELL")
    answer = switch_user(f"/as {who}".strip(), typist)
    assert answer is not None
    words = who.split()
    if len(words) == 1 and PERSON.match(words[0]):
        assert typist.user == words[0]
        assert answer == f"Now typing as {words[0]}."
    else:
        assert typist.user == "U_SHELL"
        assert answer.endswith("still typing as U_SHELL.") or answer.startswith("You are typing as U_SHELL.")


@given(st.one_of(st.text(max_size=30), st.builds("/ops {}".format, st.text(max_size=30))))
def test_only_a_line_whose_first_word_is_as_switches(line: str) -> None:
    typist = Typist("U_SHELL", "C_SHELL")
    assert (switch_user(line, typist) is None) == (line.split()[:1] != ["/as"])


async def test_what_is_said_in_another_room_says_which_room_on_every_line() -> None:
    out = io.StringIO()
    chat = ConsoleChat(out, "C_SHELL")
    await chat.post(ConsoleThread("C_SHELL"), f"hello {mention('console', 'U_CAROL')}", reply_key="a")
    await chat.post(ConsoleThread("inc-20270115-down"), "🚨 **Down**\nSeverity: sev2", reply_key="b")
    await chat.update(ConsoleThread("inc-20270115-down"), "b", "resolved", reply_key="b")
    assert out.getvalue().splitlines() == [
        "hello U_CAROL",
        "[#inc-20270115-down] 🚨 **Down**",
        "[#inc-20270115-down] Severity: sev2",
        "[#inc-20270115-down] resolved",
    ]


async def test_console_rooms_open_each_name_once() -> None:
    rooms = ConsoleRooms()
    assert await rooms.open_room("inc-1") == "inc-1"
    assert await rooms.open_room("inc-1") is None
    assert await rooms.open_room("inc-1-2") == "inc-1-2"
    await rooms.invite("inc-1", Person("console", "U_SHELL"))  # everyone typing is in every room


class Tape(io.StringIO):
    """Piped input that notes each read in the same log as the settling."""

    def __init__(self, text: str, log: list[str]) -> None:
        super().__init__(text)
        self.log = log

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]  # typeshed's StringIO
        line = super().readline(-1 if size is None else size)
        self.log.append(f"read {line.strip() or '(blank)'}" if line else "EOF")
        return line


async def test_piped_input_settles_each_line_s_work_before_the_next_is_read_and_before_the_end() -> None:
    log: list[str] = []
    out = io.StringIO()

    async def settle() -> None:
        log.append("settle")

    tape = Tape("/ops whoami\n\n/as U_CAROL\n/ops whoami\n", log)
    await run_console(console(out), user="U_SHELL", channel="C_SHELL", bot_name=BOT, stdin=tape, out=out, settle=settle)
    assert log == [
        "read /ops whoami", "settle", "read (blank)", "settle", "read /as U_CAROL", "read /ops whoami", "settle",
        "EOF", "settle",
    ]  # fmt: skip


async def test_a_request_that_fails_is_told_with_an_error_id_and_the_console_goes_on() -> None:
    out = io.StringIO()
    await run_console(
        console(out), user="U_SHELL", channel="C_SHELL", bot_name=BOT, stdin=io.StringIO("/ops crash\n/ops whoami\n"),
        out=out,
    )  # fmt: skip
    failed, answered = out.getvalue().splitlines()
    assert failed.startswith("GitHub is not answering right now (HTTP 502).")
    assert "(error id E-" in failed
    assert answered == "you are U_SHELL in console"
