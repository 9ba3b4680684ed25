"""Keep people informed where they asked: one status message edited in place,
and a short new message when something finishes (edits don't notify anyone)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from bot.conversation.replies import LOOKBACK, Replies
from bot.model import Button, Place, Platform
from bot.ports import Chat, Marks


class Reporter:
    def __init__(
        self, chats: Mapping[Platform, Chat], replies: Replies, marks: Marks, clock: Callable[[], float] = time.time
    ) -> None:
        self._chats = chats
        self._replies = replies
        self._marks = marks
        self._clock = clock

    def _chat(self, place: Place) -> Chat:
        chat = self._chats.get(place.platform)
        if chat is None:
            raise LookupError(f"no chat configured for {place.platform}")
        return chat

    async def update(
        self,
        place: Place,
        status_key: str,
        text: str,
        *,
        since: float | None = None,
        formerly: Sequence[str] = (),
        buttons: Sequence[Button] = (),
    ) -> str:
        """Edit the message posted under ``status_key`` (looked for back to ``since``, a day by
        default); post it if it's gone. The message's id either way; it has ``buttons``, or none.

        A message posted under one of the ``formerly`` keys counts too, and is re-tagged
        ``status_key`` by the edit, so renaming a key doesn't post a second message."""
        chat = self._chat(place)
        named = [status_key, *formerly]
        message_id = None
        for key in named:
            if (message_id := await self._marks.get(f"sent:{key}")) is not None:
                break
        if message_id is None:
            looked_back = self._clock() - LOOKBACK if since is None else since
            for key in named:
                if message_id := await self._replies.find(chat, place, key, since=looked_back):
                    break
        if message_id:
            await chat.update(place, message_id, text, reply_key=status_key, buttons=buttons)
            return message_id
        return await self._replies.send(
            chat, place, text, reply_key=status_key, redelivered=False, asked_at=self._clock(), buttons=buttons
        )

    async def announce(self, place: Place, key: str, text: str, *, buttons: Sequence[Button] = ()) -> None:
        """A new message, once per ``key`` however often the job runs."""
        await self._replies.send(
            self._chat(place), place, text, reply_key=key, redelivered=True, asked_at=self._clock(), buttons=buttons
        )
