"""Accept an inbound event: deduplicate it and queue it, in one round trip."""

from __future__ import annotations

from enum import Enum

from bot.following import Following
from bot.jobs import Job
from bot.ports import JobQueue


class Accepted(Enum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"


class Intake:
    def __init__(self, queue: JobQueue, following: Following) -> None:
        self._queue = queue
        self._following = following

    async def follows_thread(self, channel: str, thread_ts: str) -> bool:
        """Whether the Ops agent is part of this Slack thread (so a plain reply is for it)."""
        return await self._following.follows(channel, thread_ts)

    async def accept(self, event_key: str, job: Job) -> Accepted:
        """Queue ``job`` unless an event with ``event_key`` was accepted before."""
        if await self._queue.enqueue(job, dedupe_key=event_key):
            return Accepted.QUEUED
        return Accepted.DUPLICATE
