"""Accept an inbound event: deduplicate it and queue it, in one round trip."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from bot.errors import StoreUnavailable
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue


class Accepted(Enum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"


class Intake:
    def __init__(self, queue: JobQueue, *, on_store_unavailable: Callable[[], None] | None = None) -> None:
        """``on_store_unavailable`` hears of every event the store could not take (the sender is
        answered 503), so what was refused can be recovered once the store is back."""
        self._queue = queue
        self._on_store_unavailable = on_store_unavailable

    async def accept(self, event_key: str, job: Job) -> Accepted:
        """Queue ``job`` unless an event with ``event_key`` was accepted before."""
        try:
            added = await self._queue.enqueue(job, dedupe_key=event_key)
        except StoreUnavailable:
            if self._on_store_unavailable is not None:
                self._on_store_unavailable()
            raise
        return Accepted.QUEUED if added else Accepted.DUPLICATE
