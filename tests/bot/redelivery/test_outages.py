"""A recovery pass is queued once the store answers again after an outage, and once per outage."""

from __future__ import annotations

import asyncio

from bot.errors import StoreUnavailable
from bot.fakes import ManualClock
from bot.jobs.fakes import FakeJobQueue
from bot.jobs.kinds import Job
from bot.redelivery.model import RecoveryDue
from bot.redelivery.outages import OutageWatch
from tests.waiting import eventually

SETTLE = 5.0


class Store:
    def __init__(self) -> None:
        self.up = False
        self.asked = 0

    async def answers(self) -> bool:
        self.asked += 1
        return self.up


class RefusingQueue(FakeJobQueue):
    """Answers a ping but can't take a write yet (``refusals`` of them), as a store coming back may."""

    refusals = 0

    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        if self.refusals > 0:
            self.refusals -= 1
            raise StoreUnavailable("Redis is unreachable (ConnectionError)")
        return await super().enqueue(job, dedupe_key=dedupe_key, delay=delay)


async def queued(queue: FakeJobQueue, clock: ManualClock) -> list[RecoveryDue]:
    """The passes queued, once they are due."""
    clock.now += SETTLE
    await queue.promote_due()
    return [RecoveryDue.from_json(d.job.payload) for d in await queue.take("test", count=10, wait=0)]


async def test_one_pass_is_queued_when_the_store_is_back_however_many_refusals_there_were() -> None:
    clock, store = ManualClock(), Store()
    queue = FakeJobQueue(clock)
    watch = OutageWatch(store.answers, queue, clock, poll=0, settle=SETTLE)
    watch.noticed()
    await eventually(lambda: store.asked >= 3, 10, "the watch to look at the store")
    for _ in range(20):  # the rest of the burst, refused while the watch waits
        watch.noticed()
        await asyncio.sleep(0)
    assert (await queue.depth()).delayed == 0, "queued while the store was down"
    back_at = clock.now
    store.up = True
    await eventually(lambda: store.asked >= 3 and not watch.watching, 10, "the pass to be queued")
    assert (await queue.depth()).delayed == 1, "due a few seconds later, not at once"
    [due] = await queued(queue, clock)
    assert due.requested_at == back_at
    assert due.reason == "store unavailable at the door"


async def test_a_refusal_after_the_pass_was_queued_queues_another() -> None:
    clock, store = ManualClock(), Store()
    store.up = True
    queue = FakeJobQueue(clock)
    watch = OutageWatch(store.answers, queue, clock, poll=0, settle=SETTLE)
    watch.noticed("a worker started")
    await eventually(lambda: not watch.watching, 10, "the first pass to be queued")
    clock.now += 60
    watch.noticed()
    await eventually(lambda: not watch.watching, 10, "the second pass to be queued")
    passes = await queued(queue, clock)
    assert [p.reason for p in passes] == ["a worker started", "store unavailable at the door"]
    assert passes[1].requested_at - passes[0].requested_at == 60


async def test_a_store_that_answers_but_takes_no_write_yet_is_tried_again() -> None:
    clock, store = ManualClock(), Store()
    store.up = True
    queue = RefusingQueue(clock)
    queue.refusals = 3
    watch = OutageWatch(store.answers, queue, clock, poll=0, settle=SETTLE)
    watch.noticed()
    await eventually(lambda: not watch.watching, 10, "the pass to be queued")
    assert queue.refusals == 0
    assert len(await queued(queue, clock)) == 1


async def test_closing_stops_a_watch_that_is_still_waiting() -> None:
    clock, store = ManualClock(), Store()
    queue = FakeJobQueue(clock)
    watch = OutageWatch(store.answers, queue, clock, poll=0, settle=SETTLE)
    watch.noticed()
    await eventually(lambda: store.asked >= 1, 10, "the watch to start")
    await watch.close()
    asked = store.asked
    store.up = True
    await asyncio.sleep(0)
    assert store.asked == asked
    assert await queued(queue, clock) == []
