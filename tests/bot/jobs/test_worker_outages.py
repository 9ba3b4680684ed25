"""The worker when the store goes away and comes back (a Redis restart): the worker holding a job writes its
outcome once Redis answers again, instead of leaving it for another worker's reclaim a minute later; it lets go
only when that reclaim may have begun. (tests/test_redis_outages.py does it to real processes and a real Redis.)"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import StoreUnavailable, UpstreamRejected
from bot.jobs.dispatch import Dispatcher
from bot.jobs.fakes import FakeJobQueue, FakeJobStats
from bot.jobs.kinds import Job
from bot.jobs.worker import Worker
from bot.model import ChatMessage
from bot.settings import WorkerTuning
from tests.bot.jobs.test_worker import ERROR_ID, MESSAGE, Rig, Services

# The store is asked again within milliseconds here; in production, 0.2 s doubling to 2 s.
TUNING = WorkerTuning(
    max_attempts=3, stop_grace=1.0, store_retry_base_delay=0.001, store_retry_max_delay=0.004, reclaim_after=60.0
)
SETTLING = ("complete", "retry_later", "dead_letter", "record", "report")
HELD = "store unavailable; holding the job until its outcome is recorded"
LET_GO = "could not record a job's outcome; it will run again"


class ServicesOnTheStore(Services):
    """Reporting a failure needs the store too, as the conversation's does (it looks up its replies)."""

    def __init__(self, rig_outage_check: Callable[[str], None], failures: list[Exception] | None = None) -> None:
        super().__init__(failures)
        self._check = rig_outage_check

    async def report_failure(self, message: ChatMessage, text: str, *, asked_at: float) -> None:
        self._check("report")
        await super().report_failure(message, text, asked_at=asked_at)


def rig_with(failures: list[Exception] | None = None, tuning: WorkerTuning = TUNING) -> Rig:
    rig = Rig(tuning=tuning)
    rig.services = ServicesOnTheStore(rig.outage.check, failures)
    return rig


async def until(done: Callable[[], bool], what: str) -> None:
    async with asyncio.timeout(5):
        while not done():
            await asyncio.sleep(0.001)
    assert done(), what


async def running(rig: Rig) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(rig.worker().run(stop))


async def test_a_job_done_while_the_store_is_away_is_completed_when_it_is_back_and_runs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.jobs.worker")
    rig = rig_with()
    rig.services.hold = asyncio.Event()
    await rig.queue.enqueue(Job.of(MESSAGE))
    stop, worker = await running(rig)
    await until(lambda: rig.services.handled == [False], "the job to start")
    rig.outage.begin()
    rig.services.hold.set()  # its work is done while the store is away...
    await until(lambda: rig.outage.refused.count("complete") >= 3, "its completion to be refused a few times")
    rig.clock.now += rig.tuning.reclaim_after / 2  # ...for half a minute
    rig.outage.end()
    await until(lambda: rig.outcomes() == ["done"], "the job to be completed")
    # However long another worker waits, it finds nothing of this job's to take over.
    rig.clock.now += rig.tuning.reclaim_after * 2
    assert await rig.queue.reclaim("w-2", idle_for=rig.tuning.reclaim_after, count=10) == []
    stop.set()
    await worker
    assert rig.services.handled == [False]
    depth = await rig.queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count(HELD) == 1
    assert "job outcome recorded once the store was back" in messages
    assert LET_GO not in messages


@settings(max_examples=40, deadline=None)
@given(
    outcome=st.sampled_from(("done", "retried", "failed")),
    refusals=st.integers(min_value=1, max_value=12),
    refused=st.sets(st.sampled_from(SETTLING), min_size=1),
)
async def test_whatever_settling_step_the_store_refuses_each_job_ends_once_as_it_should(
    outcome: str, refusals: int, refused: set[str]
) -> None:
    failures: dict[str, list[Exception]] = {
        "done": [],
        "retried": [StoreUnavailable("connection refused")],  # its work itself met the outage
        "failed": [UpstreamRejected("GitHub", "the token or App lacks a permission", status=403)],
    }
    rig = rig_with(failures[outcome])
    # The store refuses the next `refusals` of these writes, then answers again.
    rig.outage.begin(calls=refusals, only=refused)
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.stint()
    if outcome == "retried":
        assert (await rig.queue.depth()).delayed == 1
        assert rig.services.handled == [False]
        rig.clock.now += rig.tuning.retry_max_delay * 1.2  # its retry comes due
        await rig.stint()
    rig.outage.end()
    depth = await rig.queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)
    assert set(rig.outage.refused) <= refused
    if outcome == "done":
        assert rig.services.handled == [False]
        assert rig.outcomes() == ["done"]
        assert rig.services.reported == []
        assert rig.queue.dead == []
    elif outcome == "retried":
        assert rig.services.handled == [False, True]  # one attempt for the outage, then the one that worked
        assert rig.outcomes() == ["retried", "done"]
        assert rig.queue.dead == []
    else:
        assert rig.services.handled == [False]
        assert rig.outcomes() == ["failed"]
        [report] = rig.services.reported  # said once, however often the store refused
        error_id = ERROR_ID.search(report)
        assert error_id is not None
        [(_, reason)] = rig.queue.dead
        assert reason.startswith(f"{error_id.group(1)}: UpstreamRejected: ")


async def test_a_worker_lets_go_of_a_job_once_the_store_is_away_for_longer_than_reclaim_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.jobs.worker")
    rig = rig_with()
    rig.services.hold = asyncio.Event()
    await rig.queue.enqueue(Job.of(MESSAGE))
    stop, worker = await running(rig)
    await until(lambda: rig.services.handled == [False], "the job to start")
    rig.outage.begin()
    rig.services.hold.set()
    await until(lambda: "complete" in rig.outage.refused, "its completion to be refused")
    assert LET_GO not in [r.getMessage() for r in caplog.records]
    rig.clock.now += rig.tuning.reclaim_after  # the store stays away for a whole reclaim_after
    await until(lambda: LET_GO in [r.getMessage() for r in caplog.records], "the worker to let go")
    stop.set()
    await worker
    rig.outage.end()
    # The job is still pending, and a worker looking for silent workers' jobs takes it over, as after a crash.
    rig.services.hold = None
    await rig.stint()
    assert rig.services.handled == [False, True]
    assert rig.outcomes() == ["done"]


async def test_a_job_whose_outcome_waits_for_the_store_at_a_stop_is_handed_back_like_a_running_one() -> None:
    rig = rig_with(tuning=replace(TUNING, stop_grace=0.05))
    await rig.queue.enqueue(Job.of(MESSAGE))
    rig.outage.begin(only={"complete"})
    stop, worker = await running(rig)
    await until(lambda: "complete" in rig.outage.refused, "its completion to be refused")
    stop.set()
    await worker  # the grace passes with the completion still refused
    assert (await rig.queue.depth()).ready == 1
    rig.outage.end()
    await rig.stint()
    assert rig.services.handled == [False, True]  # marked redelivered: it checks what it already did
    assert rig.outcomes() == ["done"]


async def test_a_stop_while_only_the_count_is_left_hands_nothing_back() -> None:
    rig = rig_with(tuning=replace(TUNING, stop_grace=0.05))
    await rig.queue.enqueue(Job.of(MESSAGE))
    rig.outage.begin(only={"record"})
    stop, worker = await running(rig)
    await until(lambda: "record" in rig.outage.refused, "its count to be refused")
    stop.set()
    await worker
    rig.outage.end()
    await rig.stint()
    assert rig.services.handled == [False]  # completed before the stop: not run again
    depth = await rig.queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)


async def test_a_stop_while_the_store_is_back_within_the_grace_writes_the_outcome_held() -> None:
    rig = rig_with()
    rig.services.hold = asyncio.Event()
    await rig.queue.enqueue(Job.of(MESSAGE))
    stop, worker = await running(rig)
    await until(lambda: rig.services.handled == [False], "the job to start")
    rig.outage.begin()
    rig.services.hold.set()
    await until(lambda: "complete" in rig.outage.refused, "its completion to be refused")
    stop.set()
    await asyncio.sleep(0.01)
    rig.outage.end()  # well within the stop's grace
    await worker
    assert rig.outcomes() == ["done"]
    depth = await rig.queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)
    rig.services.hold = None
    await rig.stint()
    assert rig.services.handled == [False]


async def test_a_retry_is_moved_onto_the_queue_when_it_is_due_not_at_the_next_upkeep() -> None:
    # A real clock: the retry comes due 50 ms later, while the upkeep runs every five seconds.
    tuning = WorkerTuning(reclaim_after=60.0, retry_base_delay=0.05, take_wait=0.002, stop_grace=0.05)
    services = Services([StoreUnavailable("connection refused")])
    queue, stats = FakeJobQueue(time.time), FakeJobStats()
    await queue.enqueue(Job.of(MESSAGE))
    stop = asyncio.Event()
    s = services
    worker = asyncio.create_task(Worker(queue, Dispatcher(s, s, s, s), stats, tuning, name="w-1").run(stop))
    try:
        # Well under the upkeep's five seconds: the retry was promoted at its time.
        async with asyncio.timeout(2.5):
            while len(services.handled) < 2:
                await asyncio.sleep(0.005)
    finally:
        stop.set()
        await worker
    assert services.handled == [False, True]
