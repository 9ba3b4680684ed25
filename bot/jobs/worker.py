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
import logging
import os
import random
import socket
import time

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


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        dispatcher: Dispatcher,
        stats: JobStats,
        tuning: WorkerTuning,
        name: str | None = None,
    ) -> None:
        self._queue = queue
        self._dispatcher = dispatcher
        self._stats = stats
        self._tuning = tuning
        self.name = name or consumer_name()
        self._in_flight: dict[str, tuple[Delivery, asyncio.Task[None]]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"worker": self.name, "concurrency": self._tuning.concurrency})
        upkeep = asyncio.create_task(self._upkeep(stop))
        try:
            while not stop.is_set():
                free = self._tuning.concurrency - len(self._in_flight)
                if free <= 0:
                    await asyncio.sleep(0.05)
                    continue
                try:
                    deliveries = await self._queue.take(self.name, count=free, wait=self._tuning.take_wait)
                except StoreUnavailable:
                    log.warning("store unavailable; retrying shortly", extra={"worker": self.name})
                    await asyncio.sleep(1.0)
                    continue
                for delivery in deliveries:
                    self._start(delivery)
        finally:
            upkeep.cancel()
            await self._drain()
            log.info("worker stopped", extra={"worker": self.name})

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._run_and_settle(delivery))
        self._in_flight[delivery.receipt] = (delivery, task)
        task.add_done_callback(lambda _: self._in_flight.pop(delivery.receipt, None))

    async def _drain(self) -> None:
        """Let in-flight jobs finish; hand back the ones that can't in time.

        Handing back (rather than leaving the entry pending) lets another
        worker start it at once instead of after ``reclaim_after``; the job
        is marked redelivered, so it checks before repeating what it did.
        """
        if not self._in_flight:
            return
        log.info("finishing in-flight jobs before stopping", extra={"worker": self.name, "jobs": len(self._in_flight)})
        tasks = [task for _, task in self._in_flight.values()]
        _, pending = await asyncio.wait(tasks, timeout=self._tuning.stop_grace)
        late = [(delivery, task) for delivery, task in self._in_flight.values() if task in pending]
        for _, task in late:
            task.cancel()
        # Stopped for certain before anyone else may start them.
        await asyncio.gather(*(task for _, task in late), return_exceptions=True)
        for delivery, _ in late:
            try:
                await self._queue.give_back(delivery)
            except StoreUnavailable:
                # Still pending under this worker's name: another takes it over after reclaim_after.
                log.warning("could not hand a job back; it will be taken over", extra={"job_id": delivery.job.id})
            else:
                log.info("job handed back on stop", extra={"job_id": delivery.job.id})

    async def _upkeep(self, stop: asyncio.Event) -> None:
        """Heartbeats, take-overs of silent workers' jobs, and delayed jobs."""
        interval = max(0.2, min(5.0, self._tuning.reclaim_after / 3))
        while not stop.is_set():
            try:
                await self._queue.heartbeat(self.name, [d for d, _ in self._in_flight.values()])
                await self._queue.promote_due()
                free = self._tuning.concurrency - len(self._in_flight)
                if free > 0:
                    for delivery in await self._queue.reclaim(
                        self.name, idle_for=self._tuning.reclaim_after, count=free
                    ):
                        log.info("took over a job from a silent worker", extra={"job_id": delivery.job.id})
                        self._start(delivery)
            except StoreUnavailable:
                log.warning("store unavailable during upkeep", extra={"worker": self.name})
            await asyncio.sleep(interval)

    async def _run_and_settle(self, delivery: Delivery) -> None:
        try:
            await self._run_one(delivery)
        except StoreUnavailable:
            # The job's outcome couldn't be written back. It stays pending, so
            # another worker takes it over and, being a redelivery, it checks
            # before repeating anything it already did.
            log.warning("could not record a job's outcome; it will run again", extra={"job_id": delivery.job.id})

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
                await self._queue.retry_later(delivery, delay)
                await self._stats.record(job.kind, "retried", time.perf_counter() - started)
                return
            await self._give_up(delivery, exc, context)
        except Exception as exc:
            await self._give_up(delivery, exc, context)
        else:
            await self._queue.complete(delivery)
            # Only once acknowledged: a job whose worker dies before that runs again.
            log.info("job done", extra={**context, "seconds": round(time.perf_counter() - started, 4)})
            await self._stats.record(job.kind, "done", time.perf_counter() - started)
            return
        await self._stats.record(job.kind, "failed", time.perf_counter() - started)

    async def _give_up(self, delivery: Delivery, exc: Exception, context: dict[str, object]) -> None:
        error_id = new_error_id()
        log.error("job failed", exc_info=exc, extra={**context, "error_id": error_id})
        text = explain(exc, error_id=error_id, attempts=delivery.job.attempt)
        try:
            await self._dispatcher.report(delivery, text)
        except Exception as report_exc:  # the place we'd report to may be what failed
            log.error(
                "could not report the failure to the asker",
                exc_info=report_exc,
                extra={**context, "error_id": error_id},
            )
        await self._queue.dead_letter(delivery, f"{error_id}: {exc.__class__.__name__}: {exc}")
