"""The local console (``opsbot shell``): stdin lines in, replies on stdout.

Like Hubot's shell adapter: each line is one message from one user in one
channel. A line starting ``/ops`` is the slash command; anything else is a
mention of the bot. The same core handles it, inline rather than queued.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from bot.conversation.chatops import ChatOps
from bot.model import Button, ChatMessage, ConsoleThread, Person, Place
from bot.text import plain

SLASH = "/ops"


class ConsoleChat:
    """A :class:`bot.ports.Chat` that prints."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def acknowledge(self, message: ChatMessage) -> None:
        return None

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        self._out.write(plain(text).rstrip("\n") + "\n")
        self._out.flush()
        return reply_key

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        return None

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        # A terminal can't edit what it printed; progress is printed as it comes.
        await self.post(place, text, reply_key=reply_key, buttons=buttons)


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


async def run_console(chatops: ChatOps, *, user: str, channel: str, bot_name: str, stdin: TextIO = sys.stdin) -> None:
    for number in itertools.count(1):
        line = stdin.readline()
        if not line:
            return
        message = message_from_line(line, number, user, channel, bot_name)
        if message is not None:
            await chatops.handle(message, redelivered=False, asked_at=time.time())
