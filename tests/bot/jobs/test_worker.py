"""The worker on the in-memory queue: once, retries with backoff up to the limit, then a report; nothing retried
that can't succeed; redeliveries marked. (tests/test_worker_retries_end_to_end.py runs it in the whole app.)"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.errors import Busy, CommandError, StoreUnavailable, UpstreamRejected, UpstreamUnavailable
from bot.forges import ForgeName
from bot.jobs.dispatch import Dispatcher
from bot.jobs.fakes import FakeJobQueue, FakeJobStats, Outage
from bot.jobs.kinds import Job
from bot.jobs.worker import Worker
from bot.model import ChatMessage, Person, Place, SlackThread
from bot.settings import WorkerTuning

MESSAGE = ChatMessage("slack:command:t-1", Person("slack", "U_ALICE"), SlackThread("C_OPS"), "status", "slash")
ERROR_ID = re.compile(r"error id (E-[0-9A-F]{8})")


class Time:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Services:
    """What the dispatcher hands chat messages to: fails as it is told to, writes down what it saw."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.handled: list[bool] = []  # the redelivered flag of each run
        self.reported: list[str] = []
        self.hold: asyncio.Event | None = None  # when set, a run waits for it

    async def handle(self, message: ChatMessage, *, redelivered: bool, asked_at: float) -> None:
        self.handled.append(redelivered)
        if self.hold is not None:
            await self.hold.wait()
        if self.failures:
            raise self.failures.pop(0)

    async def report_failure(self, message: ChatMessage, text: str, *, asked_at: float) -> None:
        self.reported.append(text)

    async def key_for_commit(self, forge: ForgeName, repo: str, environment: str, sha_prefix: str) -> str | None:
        raise AssertionError("no deploy status is queued here")

    async def status_changed(self, key: str, status: str, url: str | None) -> None:
        raise AssertionError("no deploy status is queued here")

    async def checklist_edited(self, where: Place, person: Person, body: str, previous: str | None, at: float) -> str:
        raise AssertionError("no todo change is queued here")

    async def issue_state_changed(
        self, forge: ForgeName, repo: str, number: int, description: str, person: Person, closed: bool, at: float
    ) -> str:
        raise AssertionError("no todo change is queued here")

    async def remind(self, incident_id: str, due: float) -> None:
        raise AssertionError("no reminder is queued here")


@dataclass
class Rig:
    services: Services = field(default_factory=Services)
    tuning: WorkerTuning = field(default_factory=lambda: WorkerTuning(max_attempts=3, stop_grace=0.05))
    clock: Time = field(default_factory=Time)
    outage: Outage = field(default_factory=Outage)  # the store's: the queue and the stats go away together
    stats: FakeJobStats = field(init=False)
    queue: FakeJobQueue = field(init=False)

    def __post_init__(self) -> None:
        self.queue = FakeJobQueue(self.clock, self.outage)
        self.stats = FakeJobStats(self.outage)

    def worker(self) -> Worker:
        s = self.services
        # A short wait for jobs lets the worker notice a stop at once.
        tuning = replace(self.tuning, take_wait=0.002)
        return Worker(self.queue, Dispatcher(s, s, s, s), self.stats, tuning, name="w-1", clock=self.clock)

    async def stint(self) -> None:
        """Run a worker until nothing is ready or being worked on, then stop it."""
        await self.queue.promote_due()  # what has come due on the clock is there from the start
        stop = asyncio.Event()
        running = asyncio.create_task(self.worker().run(stop))
        async with asyncio.timeout(2):
            await asyncio.sleep(0)
            while (depth := await self.queue.depth()).ready or depth.in_flight:
                await asyncio.sleep(0.001)
        stop.set()
        await running

    def outcomes(self) -> list[str]:
        return [outcome for _, outcome, _ in self.stats.recorded]


async def test_a_job_runs_once_and_is_done() -> None:
    rig = Rig()
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.stint()
    await rig.stint()
    assert rig.services.handled == [False]
    assert rig.outcomes() == ["done"]
    assert rig.services.reported == []
    assert rig.queue.dead == []
    depth = await rig.queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=30))
async def test_each_of_many_jobs_runs_once(jobs: int) -> None:
    rig = Rig(tuning=WorkerTuning(concurrency=32))
    for _ in range(jobs):
        await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.stint()
    assert rig.services.handled == [False] * jobs
    assert rig.outcomes() == ["done"] * jobs


TRANSIENT = st.one_of(
    st.builds(
        UpstreamUnavailable,
        st.just("GitHub"),
        st.just("502 Bad Gateway"),
        status=st.just(502),
        retry_after=st.none() | st.floats(min_value=0, max_value=120),
    ),
    st.builds(StoreUnavailable, st.just("connection refused")),
    st.builds(Busy, st.just("another worker holds it")),
)


def window(attempt: int, tuning: WorkerTuning, failure: Exception) -> tuple[float, float]:
    """Earliest and latest time after a failed try ``attempt`` that its retry may come due."""
    delay = min(tuning.retry_max_delay, tuning.retry_base_delay * 2 ** (attempt - 1))
    low, high = 0.8 * delay, 1.2 * delay
    retry_after = failure.retry_after if isinstance(failure, UpstreamUnavailable) else None
    if retry_after is not None:
        asked = min(retry_after, tuning.retry_max_delay)
        low, high = max(low, asked), max(high, asked)
    return low, high


@settings(max_examples=40, deadline=None)
@given(
    failures=st.lists(TRANSIENT, max_size=6),
    max_attempts=st.integers(min_value=1, max_value=5),
    base=st.sampled_from((0.5, 2.0, 5.0)),
)
@example(failures=[UpstreamUnavailable("GitHub", "503", status=503)] * 3, max_attempts=3, base=2.0)
@example(failures=[UpstreamUnavailable("GitHub", "429", status=429, retry_after=45.0)], max_attempts=3, base=2.0)
async def test_a_transient_failure_is_retried_with_backoff_up_to_the_limit_then_reported(
    failures: list[Exception], max_attempts: int, base: float
) -> None:
    tuning = WorkerTuning(max_attempts=max_attempts, retry_base_delay=base, retry_max_delay=30.0, stop_grace=0.05)
    rig = Rig(Services(failures), tuning)
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.stint()
    runs = min(len(failures) + 1, max_attempts)
    for attempt in range(1, runs):
        low, high = window(attempt, tuning, failures[attempt - 1])
        assert (await rig.queue.depth()).delayed == 1
        rig.clock.now += low - 0.01  # not due yet: nothing runs
        await rig.stint()
        assert len(rig.services.handled) == attempt
        rig.clock.now += high - low + 0.02
        await rig.stint()
        assert len(rig.services.handled) == attempt + 1
    assert (await rig.queue.depth()).delayed == 0
    # The first run is a first delivery; every retry may follow a run that had effects.
    assert rig.services.handled == [False] + [True] * (runs - 1)
    if len(failures) < max_attempts:
        assert rig.outcomes() == ["retried"] * len(failures) + ["done"]
        assert rig.services.reported == []
        assert rig.queue.dead == []
        return
    assert rig.outcomes() == ["retried"] * (max_attempts - 1) + ["failed"]
    [report] = rig.services.reported
    assert (f"I tried {max_attempts} times." in report) == (max_attempts > 1)
    error_id = ERROR_ID.search(report)
    assert error_id is not None
    [(job, reason)] = rig.queue.dead
    assert job.attempt == max_attempts
    assert reason.startswith(f"{error_id.group(1)}: {type(failures[max_attempts - 1]).__name__}: ")


@settings(max_examples=20, deadline=None)
@given(
    st.sampled_from(
        (
            UpstreamRejected("GitHub", "the token or App lacks a permission", status=403),
            CommandError("There is no service called `nope`."),
            RuntimeError("a bug"),
        )
    )
)
async def test_a_permanent_failure_is_reported_once_and_not_retried(failure: Exception) -> None:
    rig = Rig(Services([failure]))
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.stint()
    rig.clock.now += 3600  # nothing comes due later either
    await rig.stint()
    assert rig.services.handled == [False]
    assert rig.outcomes() == ["failed"]
    [report] = rig.services.reported
    error_id = ERROR_ID.search(report)
    assert error_id is not None
    assert "I tried" not in report
    [(_, reason)] = rig.queue.dead
    assert reason.startswith(f"{error_id.group(1)}: {type(failure).__name__}: ")


async def test_a_malformed_job_is_dead_lettered_at_once_with_the_reason() -> None:
    rig = Rig()
    broken = MESSAGE.to_json()
    del broken["author"]
    await rig.queue.enqueue(Job(ChatMessage.KIND, broken))
    await rig.queue.enqueue(Job("alert.fired", {"alert": "HighLatency"}))  # a kind from a newer release
    await rig.stint()
    rig.clock.now += 3600
    await rig.stint()
    assert rig.services.handled == []
    assert rig.services.reported == []  # nobody can be named from it
    assert rig.outcomes() == ["failed", "failed"]
    reasons = [reason for _, reason in rig.queue.dead]
    assert re.fullmatch(r"E-[0-9A-F]{8}: MalformedJob: chat\.message payload: 'author' is missing", reasons[0])
    assert re.fullmatch(r"E-[0-9A-F]{8}: UnknownJob: alert\.fired", reasons[1])


async def test_a_job_whose_worker_went_silent_is_taken_over_and_marked_redelivered() -> None:
    rig = Rig()
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.queue.take("w-gone", count=1, wait=0)  # taken by a worker that then died
    rig.clock.now += rig.tuning.reclaim_after - 1
    stop = asyncio.Event()
    running = asyncio.create_task(rig.worker().run(stop))
    await asyncio.sleep(0.02)
    stop.set()
    await running
    assert rig.services.handled == []  # still within its worker's heartbeat allowance
    rig.clock.now += 1
    await rig.stint()
    assert rig.services.handled == [True]
    assert rig.outcomes() == ["done"]


async def test_a_job_still_running_at_a_stop_is_handed_back_and_marked_redelivered() -> None:
    rig = Rig()
    rig.services.hold = asyncio.Event()
    await rig.queue.enqueue(Job.of(MESSAGE))
    stop = asyncio.Event()
    running = asyncio.create_task(rig.worker().run(stop))
    async with asyncio.timeout(2):
        while not rig.services.handled:
            await asyncio.sleep(0.001)
    stop.set()
    await running  # stop_grace passes with the job still running
    assert (await rig.queue.depth()).ready == 1
    rig.services.hold = None
    await rig.stint()
    assert rig.services.handled == [False, True]
    assert rig.outcomes() == ["done"]


async def test_a_job_whose_workers_keep_dying_is_given_up_and_reported() -> None:
    rig = Rig()
    await rig.queue.enqueue(Job.of(MESSAGE))
    await rig.queue.take("w-gone-1", count=1, wait=0)
    for n in range(2, rig.tuning.max_attempts + 1):  # each one took it over, then died too
        rig.clock.now += rig.tuning.reclaim_after
        assert len(await rig.queue.reclaim(f"w-gone-{n}", idle_for=rig.tuning.reclaim_after, count=1)) == 1
    rig.clock.now += rig.tuning.reclaim_after
    await rig.stint()
    assert rig.services.handled == []  # not run once more
    [report] = rig.services.reported
    assert f"opsbot stopped {rig.tuning.max_attempts} times" in report
    [(_, reason)] = rig.queue.dead
    assert ": WorkerLost: " in reason
