"""Slack threads the Ops agent is part of: replies there reach it without a new mention.

Once the agent has answered in a thread, the people in it talk to opsbot as
they would to a colleague; asking them to type ``@opsbot`` on every reply is
the friction that makes a bot feel like a form.
"""

from __future__ import annotations

from bot.model import Place, SlackThread, thread_key
from bot.ports import Marks

FOLLOW_FOR = 7 * 24 * 3600.0  # a thread quiet for a week is over


def _key(thread: SlackThread) -> str:
    return f"follow:{thread_key(thread)}"


def _earlier_key(thread: SlackThread) -> str:
    # The name a followed thread had before marks were named by thread_key; read until FOLLOW_FOR
    # has passed since the last thread was followed under it.
    return f"follow:slack:{thread.channel}:{thread.thread_ts}"


class Following:
    def __init__(self, marks: Marks) -> None:
        self._marks = marks

    async def follow(self, place: Place) -> None:
        if isinstance(place, SlackThread) and place.thread_ts:
            await self._marks.set(_key(place), FOLLOW_FOR)

    async def follows(self, channel: str, thread_ts: str) -> bool:
        thread = SlackThread(channel, thread_ts)
        return (
            await self._marks.get(_key(thread)) is not None or await self._marks.get(_earlier_key(thread)) is not None
        )
