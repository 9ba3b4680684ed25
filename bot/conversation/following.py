"""Slack threads the Ops agent is part of: replies there reach it without a new mention.

Once the agent has answered in a thread, the people in it talk to opsbot as
they would to a colleague; asking them to type ``@opsbot`` on every reply is
the friction that makes a bot feel like a form.
"""

from __future__ import annotations

from bot.model import Place, SlackThread
from bot.ports import Marks

FOLLOW_FOR = 7 * 24 * 3600.0  # a thread quiet for a week is over


def _key(channel: str, thread_ts: str) -> str:
    return f"follow:slack:{channel}:{thread_ts}"


class Following:
    def __init__(self, marks: Marks) -> None:
        self._marks = marks

    async def follow(self, place: Place) -> None:
        if isinstance(place, SlackThread) and place.thread_ts:
            await self._marks.set(_key(place.channel, place.thread_ts), FOLLOW_FOR)

    async def follows(self, channel: str, thread_ts: str) -> bool:
        return await self._marks.get(_key(channel, thread_ts)) is not None
