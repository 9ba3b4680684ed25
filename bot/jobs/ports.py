"""The job queue and its statistics: ``bot.stores.queue`` and ``bot.stores.stats`` over Redis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.jobs.kinds import Delivery, Job


@dataclass(frozen=True)
class QueueDepth:
    ready: int
    in_flight: int
    delayed: int


class JobQueue(Protocol):
    """A durable, at-least-once job queue shared by every worker."""

    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        """Add ``job``; False when ``dedupe_key`` was seen before (nothing added)."""

    async def take(self, consumer: str, *, count: int, wait: float) -> list[Delivery]:
        """Up to ``count`` jobs for ``consumer``, waiting up to ``wait`` seconds."""

    async def complete(self, delivery: Delivery) -> None:
        """The job is done (or given up on): it will not run again."""

    async def retry_later(self, delivery: Delivery, delay: float) -> None:
        """Run the job again, as its next attempt, after ``delay`` seconds."""

    async def give_back(self, delivery: Delivery) -> None:
        """Put an unfinished job back for any worker, at once (graceful stop)."""

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Done, but failed: keep it where an operator can look at it."""

    async def heartbeat(self, consumer: str, deliveries: list[Delivery]) -> None:
        """Tell the queue these jobs are still being worked on."""

    async def reclaim(self, consumer: str, *, idle_for: float, count: int) -> list[Delivery]:
        """Take over jobs whose worker stopped sending heartbeats."""

    async def promote_due(self) -> int:
        """Move delayed jobs whose time has come onto the queue."""

    async def depth(self) -> QueueDepth: ...


class JobStats(Protocol):
    """Cluster-wide job outcomes, recorded by workers, read by ``/metrics``."""

    async def record(self, kind: str, outcome: str, seconds: float) -> None: ...
