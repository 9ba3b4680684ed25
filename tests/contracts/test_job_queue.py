"""JobQueue: the fake and the Redis stream queue agree on at-least-once delivery, dedupe and delays."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.jobs.fakes import FakeJobQueue
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue, QueueDepth
from bot.stores.queue import RedisJobQueue
from tests.contracts.conftest import Backend


@pytest.fixture
def queue(backend: Backend) -> JobQueue:
    return FakeJobQueue(backend.clock) if backend.server is None else RedisJobQueue(backend.client, clock=backend.clock)


def job(n: int) -> Job:
    return Job("chat.message", {"n": n})


async def test_a_dedupe_key_queues_a_job_once(queue: JobQueue) -> None:
    assert await queue.enqueue(job(1), dedupe_key="github:abc") is True
    assert await queue.enqueue(job(2), dedupe_key="github:abc") is False
    assert await queue.enqueue(job(3)) is True
    assert await queue.enqueue(job(4)) is True  # no key, no dedupe
    taken = await queue.take("w1", count=10, wait=0.05)
    assert [d.job.payload["n"] for d in taken] == [1, 3, 4]
    assert not any(d.redelivered for d in taken)


async def test_jobs_are_taken_in_order_and_at_most_count_at_a_time(queue: JobQueue) -> None:
    for n in range(5):
        await queue.enqueue(job(n))
    first = await queue.take("w1", count=2, wait=0.05)
    second = await queue.take("w2", count=10, wait=0.05)
    assert [d.job.payload["n"] for d in first] == [0, 1]
    assert [d.job.payload["n"] for d in second] == [2, 3, 4]
    assert await queue.take("w3", count=10, wait=0.05) == []
    assert await queue.depth() == QueueDepth(ready=0, in_flight=5, delayed=0)


async def test_a_finished_job_leaves_the_queue(queue: JobQueue) -> None:
    for n in range(3):
        await queue.enqueue(job(n))
    done, failed, kept = await queue.take("w1", count=3, wait=0.05)
    await queue.complete(done)
    await queue.dead_letter(failed, "it kept failing")
    assert await queue.depth() == QueueDepth(ready=0, in_flight=1, delayed=0)
    # Only the unfinished one is still there to be taken over.
    assert await queue.reclaim("w2", idle_for=0.0, count=10) == [replace(kept, redelivered=True, deliveries=2)]


async def test_a_job_given_back_runs_again_as_a_redelivery(queue: JobQueue) -> None:
    await queue.enqueue(job(1))
    [first] = await queue.take("stopping", count=1, wait=0.05)
    await queue.give_back(first)
    [again] = await queue.take("w2", count=1, wait=0.05)
    assert again.job == first.job
    assert again.redelivered is True
    assert again.receipt != first.receipt


async def test_a_retry_waits_for_its_time_and_is_the_next_attempt(queue: JobQueue, backend: Backend) -> None:
    await queue.enqueue(job(1))
    [first] = await queue.take("w1", count=1, wait=0.05)
    await queue.retry_later(first, 30.0)
    assert await queue.depth() == QueueDepth(ready=0, in_flight=0, delayed=1)
    assert await queue.promote_due() == 0
    backend.clock.now += 31
    assert await queue.promote_due() == 1
    [again] = await queue.take("w1", count=1, wait=0.05)
    assert (again.job.id, again.job.attempt, again.redelivered) == (first.job.id, 2, True)


async def test_delayed_jobs_come_due_in_order(queue: JobQueue, backend: Backend) -> None:
    await queue.enqueue(job(1), delay=60.0)
    await queue.enqueue(job(2), delay=10.0)
    await queue.enqueue(job(3), delay=600.0)
    assert await queue.take("w1", count=10, wait=0.05) == []
    backend.clock.now += 61
    assert await queue.promote_due() == 2
    assert [d.job.payload["n"] for d in await queue.take("w1", count=10, wait=0.05)] == [2, 1]
    assert (await queue.depth()).delayed == 1


async def test_a_silent_workers_job_is_reclaimed_and_a_live_ones_is_not(queue: JobQueue, backend: Backend) -> None:
    await queue.enqueue(job(1))
    await queue.enqueue(job(2))
    dead, alive = await queue.take("w1", count=2, wait=0.05)
    assert await queue.reclaim("w2", idle_for=10.0, count=10) == []
    await backend.later(0.1)
    await queue.heartbeat("w1", [alive])
    await backend.later(0.1)
    [reclaimed] = await queue.reclaim("w2", idle_for=0.15, count=10)
    assert (reclaimed.job, reclaimed.receipt, reclaimed.redelivered) == (dead.job, dead.receipt, True)
    assert reclaimed.deliveries == 2
    await backend.later(0.2)
    [taken_again] = await queue.reclaim("w3", idle_for=0.15, count=1)
    assert taken_again.receipt == dead.receipt  # oldest entry first
    assert taken_again.deliveries == 3
