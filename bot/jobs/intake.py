"""Accept an inbound event: deduplicate it and queue it, in one round trip."""

from __future__ import annotations

from enum import Enum

from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue


class Accepted(Enum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"


class Intake:
    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    async def accept(self, event_key: str, job: Job) -> Accepted:
        """Queue ``job`` unless an event with ``event_key`` was accepted before."""
        if await self._queue.enqueue(job, dedupe_key=event_key):
            return Accepted.QUEUED
        return Accepted.DUPLICATE
