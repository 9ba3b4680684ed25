"""A message that shows a long task's work as it happens, then becomes its answer.

It is posted under the answer's own reply key, so the answer is an edit of it (one
message, like claude-code-action's tracking comment) and a re-run job finds it by
its mark instead of posting a second one. Only the mark is consulted, not the
platform: a lookup per task would cost more than the rare duplicate it prevents
(Slack allows non-Marketplace apps about one conversations.replies a minute).

Edits are paced per platform so Slack and the forges don't throttle us: at most one
per interval, and steps that come faster are coalesced, the latest shown when the
interval is up. The answer is not paced: :meth:`TaskProgress.close` drops a pending
edit so nothing lands after it. Progress is a courtesy: when a post or an edit fails
the task goes on, and the answer is still posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.conversation.replies import Replies
from bot.errors import UpstreamError
from bot.model import ChatMessage, Place, Platform
from bot.ports import Chat
from bot.settings import ProgressPacing

log = logging.getLogger(__name__)

WORKING = "🔎 Working on it…"
SHOWN_STEPS = 4  # the latest steps listed under "Working on it"


def answer_key(message: ChatMessage) -> str:
    """The reply key of ``message``'s answer, which the progress message is posted under."""
    return f"{message.id}:answer"


class TaskProgress:
    """One task's progress message; it shows nothing when there is no message to edit."""

    def __init__(
        self,
        chat: Chat | None,
        place: Place,
        message_id: str | None,
        reply_key: str,
        interval: float,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._chat, self._place, self._id, self._key = chat, place, message_id, reply_key
        self._interval, self._clock, self._sleep = interval, clock, sleep
        self._steps: list[str] = []
        self._edited_at = clock()  # the post counts as the first write
        self._pending: asyncio.Task[None] | None = None
        self._sending = False  # the pending edit is past its wait, talking to the platform
        self._closed = False

    def text(self) -> str:
        return "\n".join([WORKING, *(f"• {doing}" for doing in self._steps[-SHOWN_STEPS:])])

    async def show(self, doing: str) -> None:
        """Add a step; shown now, or with the latest steps once the interval is up."""
        self._steps.append(doing)
        if self._chat is None or not self._id or self._closed or self._pending is not None:
            return  # nowhere to show it, or a scheduled edit will show it
        due = self._edited_at + self._interval
        if due <= self._clock():
            await self._edit()
        else:
            self._pending = asyncio.create_task(self._edit_at(due))

    async def _edit_at(self, due: float) -> None:
        await self._sleep(max(0.0, due - self._clock()))
        self._sending = True
        try:
            await self._edit()
        finally:
            self._pending, self._sending = None, False

    async def _edit(self) -> None:
        if self._chat is None or not self._id:
            return
        self._edited_at = self._clock()
        try:
            await self._chat.update(self._place, self._id, self.text(), reply_key=self._key)
        except UpstreamError as exc:
            log.warning("could not show the agent's progress", extra={"reply_key": self._key, "error": str(exc)})

    async def close(self) -> None:
        """No more edits: what comes next is the answer, which must be the last word."""
        self._closed = True
        pending = self._pending
        if pending is None:
            return
        if self._sending:
            # Already on its way: let it land before the answer rather than race it.
            await pending
            return
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending
        self._pending = None


class ProgressBoard:
    def __init__(
        self,
        chats: Mapping[Platform, Chat],
        replies: Replies,
        pacing: ProgressPacing,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._chats = chats
        self._replies = replies
        self._pacing = pacing
        self._clock = clock
        self._sleep = sleep

    async def start(self, message: ChatMessage) -> TaskProgress:
        """Post (once) the progress message of the task ``message`` asked for."""
        place = message.place
        chat = self._chats.get(place.platform)
        key = answer_key(message)
        posted: str | None = None
        if chat is not None:
            try:
                posted = await self._replies.send(
                    chat, place, WORKING, reply_key=key, redelivered=False, asked_at=self._clock()
                )
            except UpstreamError as exc:
                log.warning("could not post the agent's progress", extra={"reply_key": key, "error": str(exc)})
        interval = self._pacing.interval(place.platform)
        return TaskProgress(chat, place, posted, key, interval, self._clock, self._sleep)
