"""The job worker: any number of them share one queue.

Each worker takes jobs up to its concurrency, sends heartbeats for the jobs
it holds, takes over jobs whose worker went silent, and moves delayed jobs
onto the queue when they are due. A job that fails transiently (rate limit,
5xx, timeout) is retried with exponential backoff, honouring Retry-After,
up to ``max_attempts``; after that, or on any other failure, the person who
asked is told in plain words with an error id, and the job is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import StoreUnavailable, UpstreamUnavailable, WorkerLost
from bot.failures import explain, new_error_id
from bot.jobs.backoff import backoff
from bot.jobs.dispatch import Dispatcher
from bot.jobs.kinds import Delivery
from bot.jobs.ports import JobQueue, JobStats
from bot.settings import WorkerTuning

log = logging.getLogger(__name__)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{random.randrange(16**4):04x}"  # noqa: S311 - a name, not a secret


@dataclass
class _Held:
    """A job this worker holds, and when the queue last knew it: taken, or a heartbeat went through."""

    delivery: Delivery
    task: asyncio.Task[None]
    confirmed: float
    # Its outcome is written (completed, retried, dead-lettered): only counting it is left,
    # so it is neither kept alive by heartbeats nor handed back on stop.
    settled: bool = False


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        dispatcher: Dispatcher,
        stats: JobStats,
        tuning: WorkerTuning,
        name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queue = queue
        self._dispatcher = dispatcher
        self._stats = stats
        self._tuning = tuning
        self.name = name or consumer_name()
        self._clock = clock  # how long a job has been held without the queue hearing of it
        self._in_flight: dict[str, _Held] = {}
        # Set when a retry this worker scheduled comes due, so it is moved onto the queue
        # then rather than at the next upkeep, up to five seconds later.
        self._retry_due = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"worker": self.name, "concurrency": self._tuning.concurrency})
        upkeep = asyncio.create_task(self._upkeep(stop))
        refused = 0
        try:
            while not stop.is_set():
                free = self._tuning.concurrency - len(self._in_flight)
                if free <= 0:
                    await asyncio.sleep(0.05)
                    continue
                try:
                    deliveries = await self._queue.take(self.name, count=free, wait=self._tuning.take_wait)
                except StoreUnavailable:
                    refused += 1
                    log.warning("store unavailable; retrying shortly", extra={"worker": self.name})
                    await asyncio.sleep(self._store_pause(refused))
                    continue
                refused = 0
                for delivery in deliveries:
                    self._start(delivery)
        finally:
            upkeep.cancel()
            await self._drain()
            log.info("worker stopped", extra={"worker": self.name})

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._run_one(delivery))
        self._in_flight[delivery.receipt] = _Held(delivery, task, self._clock())
        task.add_done_callback(lambda _: self._in_flight.pop(delivery.receipt, None))

    def _store_pause(self, refused: int) -> float:
        """Seconds before asking the store again after it refused ``refused`` times in a row."""
        return backoff(refused, self._tuning.store_retry_base_delay, self._tuning.store_retry_max_delay, None)

    async def _drain(self) -> None:
        """Let in-flight jobs finish; hand back the ones that can't in time.

        Handing back (rather than leaving the entry pending) lets another
        worker start it at once instead of after ``reclaim_after``; the job
        is marked redelivered, so it checks before repeating what it did.
        A job waiting for the store to record its outcome is one of them: it
        gets the grace to do so, like any other.
        """
        if not self._in_flight:
            return
        log.info("finishing in-flight jobs before stopping", extra={"worker": self.name, "jobs": len(self._in_flight)})
        tasks = [held.task for held in self._in_flight.values()]
        _, pending = await asyncio.wait(tasks, timeout=self._tuning.stop_grace)
        late = [held for held in self._in_flight.values() if held.task in pending]
        for held in late:
            held.task.cancel()
        # Stopped for certain before anyone else may start them.
        await asyncio.gather(*(held.task for held in late), return_exceptions=True)
        for held in late:
            if held.settled:
                continue
            try:
                await self._queue.give_back(held.delivery)
            except StoreUnavailable:
                # Still pending under this worker's name: another takes it over after reclaim_after.
                log.warning("could not hand a job back; it will be taken over", extra={"job_id": held.delivery.job.id})
            else:
                log.info("job handed back on stop", extra={"job_id": held.delivery.job.id})

    async def _upkeep(self, stop: asyncio.Event) -> None:
        """Heartbeats, take-overs of silent workers' jobs, and delayed jobs."""
        interval = max(0.2, min(5.0, self._tuning.reclaim_after / 3))
        refused = 0
        while not stop.is_set():
            try:
                held = [h for h in self._in_flight.values() if not h.settled]
                sent_at = self._clock()
                await self._queue.heartbeat(self.name, [h.delivery for h in held])
                for h in held:
                    h.confirmed = sent_at
                await self._queue.promote_due()
                free = self._tuning.concurrency - len(self._in_flight)
                if free > 0:
                    for delivery in await self._queue.reclaim(
                        self.name, idle_for=self._tuning.reclaim_after, count=free
                    ):
                        log.info("took over a job from a silent worker", extra={"job_id": delivery.job.id})
                        self._start(delivery)
                refused = 0
            except StoreUnavailable:
                refused += 1
                log.warning("store unavailable during upkeep", extra={"worker": self.name})
            # After a refusal, soon: the heartbeats of the jobs held meanwhile are overdue.
            await self._nap(min(interval, self._store_pause(refused)) if refused else interval)

    async def _nap(self, seconds: float) -> None:
        """Wait ``seconds``, or less if a retry this worker scheduled comes due first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._retry_due.wait(), seconds)
        self._retry_due.clear()

    async def _run_one(self, delivery: Delivery) -> None:
        job = delivery.job
        started = time.perf_counter()
        context = {"job_id": job.id, "kind": job.kind, "attempt": job.attempt, **job.trace}
        try:
            if delivery.deliveries > self._tuning.max_attempts:
                raise WorkerLost(delivery.deliveries - 1)
            await self._dispatcher.run(delivery)
        except asyncio.CancelledError:
            raise
        except (UpstreamUnavailable, StoreUnavailable) as exc:
            if job.attempt < self._tuning.max_attempts:
                retry_after = exc.retry_after if isinstance(exc, UpstreamUnavailable) else None
                delay = backoff(job.attempt, self._tuning.retry_base_delay, self._tuning.retry_max_delay, retry_after)
                log.warning(
                    "transient failure; will retry", extra={**context, "delay": round(delay, 2), "error": str(exc)}
                )
                if await self._settle(delivery, "retry", lambda: self._queue.retry_later(delivery, delay)):
                    asyncio.get_running_loop().call_later(delay, self._retry_due.set)
                await self._record(delivery, "retried", started)
                return
            await self._give_up(delivery, exc, context)
        except Exception as exc:
            await self._give_up(delivery, exc, context)
        else:
            # Only once acknowledged: a job whose worker dies before that runs again.
            if await self._settle(delivery, "complete", lambda: self._queue.complete(delivery)):
                log.info("job done", extra={**context, "seconds": round(time.perf_counter() - started, 4)})
            await self._record(delivery, "done", started)
            return
        await self._record(delivery, "failed", started)

    async def _settle(
        self, delivery: Delivery, step: str, write: Callable[[], Awaitable[object]], *, outcome: bool = True
    ) -> bool:
        """Write what became of a job, waiting out a store that doesn't answer; False if it never did.

        The job stays in flight meanwhile, so once the store is back its
        heartbeats go on and no other worker takes it over: a job that did
        its work is completed, not run again. It is held only while the
        queue's last word of it (taken, or a heartbeat) is less than
        ``reclaim_after`` old; past that another worker may have taken it
        over, and this one lets go, as if it had died. ``outcome`` is False
        for a write that doesn't decide the job's fate (its report, its count).
        """
        extra = {"job_id": delivery.job.id, "step": step, "worker": self.name}
        refused = 0
        first_refusal = self._clock()
        while True:
            try:
                await write()
            except StoreUnavailable:
                refused += 1
                now, pause = self._clock(), self._store_pause(refused)
                if refused == 1:
                    first_refusal = now
                held = self._in_flight.get(delivery.receipt)
                last_word = min(first_refusal, held.confirmed) if held is not None else first_refusal
                if now + pause - last_word >= self._tuning.reclaim_after:
                    if outcome:
                        log.warning("could not record a job's outcome; it will run again", extra=extra)
                    else:
                        log.warning("store unavailable for too long; a step of a job was left out", extra=extra)
                    return False
                if refused == 1:
                    log.warning("store unavailable; holding the job until its outcome is recorded", extra=extra)
                await asyncio.sleep(pause)
                continue
            if refused:
                log.info("job outcome recorded once the store was back", extra=extra)
            if outcome and (held := self._in_flight.get(delivery.receipt)) is not None:
                held.settled = True
            return True

    async def _record(self, delivery: Delivery, outcome: str, started: float) -> None:
        """Count the outcome; a count the store never takes is lost, not the job."""
        seconds = time.perf_counter() - started
        await self._settle(
            delivery, "stats", lambda: self._stats.record(delivery.job.kind, outcome, seconds), outcome=False
        )

    async def _give_up(self, delivery: Delivery, exc: Exception, context: dict[str, object]) -> None:
        error_id = new_error_id()
        log.error("job failed", exc_info=exc, extra={**context, "error_id": error_id})
        text = explain(exc, error_id=error_id, attempts=delivery.job.attempt)
        try:
            # A report's reply is keyed, so saying it again after a store outage says it once.
            await self._settle(delivery, "report", lambda: self._dispatcher.report(delivery, text), outcome=False)
        except Exception as report_exc:  # the place we'd report to may be what failed
            log.error(
                "could not report the failure to the asker",
                exc_info=report_exc,
                extra={**context, "error_id": error_id},
            )
        reason = f"{error_id}: {exc.__class__.__name__}: {exc}"
        await self._settle(delivery, "dead_letter", lambda: self._queue.dead_letter(delivery, reason))
