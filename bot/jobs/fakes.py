"""In-memory ``JobQueue`` and ``JobStats`` beside their Protocols, with the Redis queue's semantics.

At-least-once: a job taken stays pending under its consumer until it is
completed, retried, given back or dead-lettered, and a pending job that
goes without a heartbeat for ``idle_for`` can be reclaimed by another
worker. Delayed jobs come due on the injected clock; a dedupe key is
remembered for a week. One process only, which is what tests and the rules
need; production shares the Redis one.

Both can lose their store for a while (:class:`Outage`), as Redis does when
it restarts: a call then raises StoreUnavailable having done nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from bot.errors import StoreUnavailable
from bot.fakes import Clock, Expiring
from bot.jobs.kinds import Delivery, Job
from bot.jobs.ports import QueueDepth

DEDUPE_TTL = 7 * 24 * 3600
DEAD_LETTER_LEN = 10_000
PROMOTE_BATCH = 100


@dataclass
class Outage:
    """The store going away and coming back, shared by the fakes that sit on one store.

    While it lasts, every call (or only the calls named in ``only``) raises
    StoreUnavailable before doing anything; ``calls`` ends it by itself after
    that many refusals. ``refused`` names each refused call, in order.
    """

    down: bool = False
    calls_left: int | None = None
    only: frozenset[str] = frozenset()
    refused: list[str] = field(default_factory=list)

    def begin(self, *, calls: int | None = None, only: Collection[str] = ()) -> None:
        self.down, self.calls_left, self.only = True, calls, frozenset(only)

    def end(self) -> None:
        self.down, self.calls_left, self.only = False, None, frozenset()

    def check(self, call: str) -> None:
        if not self.down or (self.only and call not in self.only):
            return
        self.refused.append(call)
        if self.calls_left is not None:
            self.calls_left -= 1
            if self.calls_left <= 0:
                self.end()
        raise StoreUnavailable(f"the store refused {call} (an outage)")


@dataclass
class _Pending:
    entry: tuple[str, Job, bool]  # receipt, job, handed back
    consumer: str
    since: float  # last delivery or heartbeat, on the clock
    deliveries: int = 1


class FakeJobQueue:
    def __init__(self, clock: Clock = time.time, outage: Outage | None = None) -> None:
        self._clock = clock
        self.outage = outage or Outage()
        self._seen: Expiring[str, bool] = Expiring(clock)
        self._ready: list[tuple[str, Job, bool]] = []
        self._pending: dict[str, _Pending] = {}
        self._delayed: list[tuple[float, bytes]] = []
        self.dead: list[tuple[Job, str]] = []
        self._receipts = itertools.count(1)
        self._arrived = asyncio.Event()

    def _add(self, job: Job, *, handed_back: bool = False) -> None:
        self._ready.append((f"{next(self._receipts)}-0", job, handed_back))
        self._arrived.set()

    def _delay(self, job: Job, due: float) -> None:
        encoded = job.encode()
        # A sorted set: the same encoded job twice is one member, at its latest score.
        self._delayed = [(at, raw) for at, raw in self._delayed if raw != encoded]
        self._delayed.append((due, encoded))

    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        self.outage.check("enqueue")
        if dedupe_key is not None:
            if dedupe_key in self._seen:
                return False
            self._seen.put(dedupe_key, True, DEDUPE_TTL)
        if delay > 0:
            self._delay(job, self._clock() + delay)
        else:
            self._add(job)
        return True

    async def take(self, consumer: str, *, count: int, wait: float) -> list[Delivery]:
        self.outage.check("take")
        if not self._ready and wait > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), wait)
            except TimeoutError:
                return []
        taken, self._ready = self._ready[:count], self._ready[count:]
        now = self._clock()
        for entry in taken:
            self._pending[entry[0]] = _Pending(entry, consumer, now)
        return [_delivery(entry, claimed=False) for entry in taken]

    def _finish(self, delivery: Delivery) -> None:
        self._pending.pop(delivery.receipt, None)

    async def complete(self, delivery: Delivery) -> None:
        self.outage.check("complete")
        self._finish(delivery)

    async def retry_later(self, delivery: Delivery, delay: float) -> None:
        self.outage.check("retry_later")
        self._finish(delivery)
        self._delay(delivery.job.next_attempt(), self._clock() + delay)

    async def give_back(self, delivery: Delivery) -> None:
        self.outage.check("give_back")
        self._finish(delivery)
        self._add(delivery.job, handed_back=True)

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.outage.check("dead_letter")
        self._finish(delivery)
        self.dead.append((delivery.job, reason))
        del self.dead[:-DEAD_LETTER_LEN]

    async def heartbeat(self, consumer: str, deliveries: list[Delivery]) -> None:
        self.outage.check("heartbeat")
        now = self._clock()
        for delivery in deliveries:
            pending = self._pending.get(delivery.receipt)
            if pending is not None:
                pending.consumer, pending.since = consumer, now

    async def reclaim(self, consumer: str, *, idle_for: float, count: int) -> list[Delivery]:
        self.outage.check("reclaim")
        now = self._clock()
        idle = [p for _, p in sorted(self._pending.items(), key=_by_receipt) if now - p.since >= idle_for][:count]
        for pending in idle:
            pending.consumer, pending.since, pending.deliveries = consumer, now, pending.deliveries + 1
        return [replace(_delivery(p.entry, claimed=True), deliveries=p.deliveries) for p in idle]

    async def promote_due(self) -> int:
        self.outage.check("promote_due")
        now = self._clock()
        due = sorted(d for d in self._delayed if d[0] <= now)[:PROMOTE_BATCH]
        for entry in due:
            self._delayed.remove(entry)
            self._add(Job.decode(entry[1]))
        return len(due)

    async def depth(self) -> QueueDepth:
        self.outage.check("depth")
        return QueueDepth(ready=len(self._ready), in_flight=len(self._pending), delayed=len(self._delayed))

    def accepted(self, dedupe_key: str) -> bool:
        """Whether an event was queued under ``dedupe_key`` (within the week its record lasts)."""
        return dedupe_key in self._seen


def _by_receipt(item: tuple[str, _Pending]) -> tuple[int, int]:
    first, _, second = item[0].partition("-")
    return int(first), int(second or 0)


def _delivery(entry: tuple[str, Job, bool], *, claimed: bool) -> Delivery:
    receipt, job, handed_back = entry
    return Delivery(job=job, receipt=receipt, redelivered=claimed or handed_back or job.attempt > 1)


class FakeJobStats:
    """Counts and summed seconds per kind and outcome, under the names the Redis hash uses."""

    def __init__(self, outage: Outage | None = None) -> None:
        self.recorded: list[tuple[str, str, float]] = []
        self.outage = outage or Outage()

    async def record(self, kind: str, outcome: str, seconds: float) -> None:
        self.outage.check("record")
        self.recorded.append((kind, outcome, seconds))

    async def snapshot(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, outcome, seconds in self.recorded:
            totals[f"count|{kind}|{outcome}"] = totals.get(f"count|{kind}|{outcome}", 0) + 1
            totals[f"sum|{kind}"] = totals.get(f"sum|{kind}", 0.0) + seconds
        return totals
