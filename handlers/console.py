"""The local console (``opsbot shell``): stdin lines in, replies on stdout.

Like Hubot's shell adapter: each line is one message from one user in one
channel. A line starting ``/ops`` is the slash command; ``/as <user>`` changes
who is typing from then on; anything else is a mention of the bot. The same
core handles it, inline rather than queued.

Incidents declared here get a room of the console's own (:class:`ConsoleRooms`);
what is said in a room other than the one typed in is printed with the room's
name in front, so people see where each line went.

Piped input is a transcript: each line's work, and whatever it set going (the
sandbox CD's steps, through ``settle``), is finished before the next line is
read and before the console ends, so the same input prints the same
conversation. On a terminal, lines are read beside the work, which goes on in
the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from bot.config import PERSON
from bot.conversation.chatops import ChatOps
from bot.failures import explain, new_error_id
from bot.model import Button, ChatMessage, ConsoleThread, Person, Place
from bot.text import plain

SLASH = "/ops"
AS = "/as"  # console only: who is typing from now on

log = logging.getLogger(__name__)


class ConsoleChat:
    """A :class:`bot.ports.Chat` that prints; lines said in another room than ``home`` say which."""

    def __init__(self, out: TextIO, home: str | None = None) -> None:
        self._out = out
        self._home = home

    async def acknowledge(self, message: ChatMessage) -> None:
        return None

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        shown = plain(text).rstrip("\n")
        if isinstance(place, ConsoleThread) and self._home is not None and place.channel != self._home:
            shown = "\n".join(f"[#{place.channel}] {line}" for line in shown.split("\n"))
        self._out.write(shown + "\n")
        self._out.flush()
        return reply_key

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        return None

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        # A terminal can't edit what it printed; progress is printed as it comes.
        await self.post(place, text, reply_key=reply_key, buttons=buttons)


class ConsoleRooms:
    """:class:`bot.incidents.ports.Rooms` for the console: a room is its name, and everyone typing is in it."""

    platform: Literal["console"] = "console"

    def __init__(self) -> None:
        self._opened: set[str] = set()

    async def open_room(self, name: str) -> str | None:
        if name in self._opened:
            return None
        self._opened.add(name)
        return name

    async def invite(self, room: str, person: Person) -> None:
        return None

    async def pin(self, room: str, message_id: str) -> None:
        return None


@dataclass
class Typist:
    """Who is typing, and where."""

    user: str
    channel: str


def message_from_line(line: str, number: int, user: str, channel: str, bot_name: str) -> ChatMessage | None:
    text = line.strip()
    if not text:
        return None
    via: str
    if text == SLASH or text.startswith(SLASH + " "):
        text, via = text[len(SLASH) :].strip(), "slash"
    else:
        for prefix in (f"@{bot_name}", bot_name):
            if text.lower().startswith(prefix.lower()):
                text = text[len(prefix) :].lstrip(" :,")
                break
        via = "mention"
    return ChatMessage(
        id=f"console:{channel}:{number}:{time.time_ns()}",
        author=Person("console", user),
        place=ConsoleThread(channel=channel),
        text=text,
        via=via,  # type: ignore[arg-type]
    )


def switch_user(line: str, typist: Typist) -> str | None:
    """The answer to ``/as <user>`` (``typist`` changed when it names someone), or None for any other line."""
    words = line.split()
    if not words or words[0] != AS:
        return None
    if len(words) == 1:
        return f"You are typing as {typist.user}. `/as <user>` types as someone else (a user id, as ops.yaml has it)."
    if len(words) != 2 or not PERSON.match(words[1]):
        return (
            f"`/as` takes one user id, as ops.yaml names people (U_CAROL, github:octocat); "
            f"still typing as {typist.user}."
        )
    typist.user = words[1]
    return f"Now typing as {typist.user}."


async def run_console(
    chatops: ChatOps,
    *,
    user: str,
    channel: str,
    bot_name: str,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    settle: Callable[[], Awaitable[None]] | None = None,
    interactive: bool = False,
) -> None:
    """Read lines until EOF. ``settle`` finishes the work lines set going (after each piped line, and at the end)."""
    typist = Typist(user, channel)
    lines = _lines_beside_the_work(stdin) if interactive else None
    for number in itertools.count(1):
        line = await lines.get() if lines is not None else stdin.readline()
        if not line:
            break
        if (switched := switch_user(line.strip(), typist)) is not None:
            out.write(switched + "\n")
            out.flush()
            continue
        message = message_from_line(line, number, typist.user, typist.channel, bot_name)
        if message is not None:
            await _answer(chatops, message)
        if settle is not None and not interactive:
            await settle()
    if settle is not None:
        await settle()


async def _answer(chatops: ChatOps, message: ChatMessage) -> None:
    asked_at = time.time()
    try:
        await chatops.handle(message, redelivered=False, asked_at=asked_at)
    except Exception as exc:  # the console has no worker to retry it: say so, with an id to find the log line
        error_id = new_error_id()
        log.exception("console request failed", extra={"error_id": error_id})
        await chatops.report_failure(message, explain(exc, error_id=error_id, attempts=1), asked_at=asked_at)


def _lines_beside_the_work(stdin: TextIO) -> asyncio.Queue[str]:
    """Lines from a terminal, read by a thread so the loop keeps working meanwhile; "" at EOF.

    A daemon thread: one still waiting in ``readline`` must not keep the process alive after the console ends.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def hand_over(line: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the console is over
            loop.call_soon_threadsafe(queue.put_nowait, line)

    def read() -> None:
        for line in iter(stdin.readline, ""):
            hand_over(line)
        hand_over("")

    threading.Thread(target=read, name="opsbot-console-input", daemon=True).start()
    return queue
