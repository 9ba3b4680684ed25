"""The stream queue on a real redis-server: at-least-once, dedupe, delays."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from bot.errors import StoreUnavailable
from bot.jobs.kinds import Job
from bot.stores.queue import RedisJobQueue


def job(n: int = 1) -> Job:
    return Job("chat.message", {"n": n})


async def test_a_dedupe_key_queues_a_job_once(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    assert await queue.enqueue(job(1), dedupe_key="github:abc") is True
    assert await queue.enqueue(job(2), dedupe_key="github:abc") is False
    taken = await queue.take("w1", count=10, wait=0.1)
    assert [d.job.payload for d in taken] == [{"n": 1}]


async def test_completed_jobs_leave_the_queue(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    [delivery] = await queue.take("w1", count=10, wait=0.1)
    assert delivery.redelivered is False
    assert (await queue.depth()).in_flight == 1
    await queue.complete(delivery)
    depth = await queue.depth()
    assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)
    assert await queue.take("w1", count=10, wait=0.1) == []


async def test_a_silent_workers_job_is_reclaimed_as_a_redelivery(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    [first] = await queue.take("dead-worker", count=1, wait=0.1)
    assert await queue.reclaim("w2", idle_for=10.0, count=10) == []  # not idle long enough yet
    await asyncio.sleep(0.15)
    [again] = await queue.reclaim("w2", idle_for=0.1, count=10)
    assert again.job.id == first.job.id
    assert again.redelivered is True


async def test_heartbeats_keep_a_live_workers_job(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    [held] = await queue.take("alive", count=1, wait=0.1)
    for _ in range(3):
        await asyncio.sleep(0.1)
        await queue.heartbeat("alive", [held])
        assert await queue.reclaim("thief", idle_for=0.15, count=10) == []


async def test_retry_later_runs_the_next_attempt_when_due(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    [first] = await queue.take("w1", count=1, wait=0.1)
    await queue.retry_later(first, 0.2)
    assert await queue.promote_due() == 0
    assert (await queue.depth()).delayed == 1
    await asyncio.sleep(0.25)
    assert await queue.promote_due() == 1
    [second] = await queue.take("w1", count=1, wait=0.1)
    assert second.job.id == first.job.id
    assert second.job.attempt == 2
    assert second.redelivered is True


async def test_given_back_jobs_are_taken_again_at_once(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    [first] = await queue.take("stopping", count=1, wait=0.1)
    await queue.give_back(first)
    [again] = await queue.take("other", count=1, wait=0.1)
    assert again.job.id == first.job.id
    assert again.redelivered is True
    assert (await queue.depth()).in_flight == 1


async def test_delayed_enqueue_waits(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    assert await queue.enqueue(job(), delay=60)
    assert await queue.promote_due() == 0
    assert await queue.take("w1", count=1, wait=0.05) == []
    assert (await queue.depth()).delayed == 1


async def test_the_embedded_store_runs_the_same_queue() -> None:
    import fakeredis

    queue = RedisJobQueue(fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()), embedded=True)
    assert await queue.enqueue(job(1), dedupe_key="k")
    assert not await queue.enqueue(job(2), dedupe_key="k")
    [delivery] = await queue.take("w", count=5, wait=0.1)
    await queue.complete(delivery)
    assert await queue.take("w", count=5, wait=0.1) == []


async def test_reclaimed_jobs_count_their_deliveries(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job())
    await queue.take("first", count=1, wait=0.1)
    for n, worker in enumerate(["second", "third"], start=2):
        await asyncio.sleep(0.06)
        [again] = await queue.reclaim(worker, idle_for=0.05, count=10)
        assert again.deliveries == n


async def test_concurrent_enqueues_share_round_trips_and_keep_their_own_answers(redis_client: redis.Redis) -> None:
    queue = RedisJobQueue(redis_client)
    keys_ = [f"k{n % 50}" for n in range(300)]  # each key appears six times
    results = await asyncio.gather(*(queue.enqueue(job(n), dedupe_key=k) for n, k in enumerate(keys_)))
    assert sum(results) == 50
    assert [results[n] for n in range(50)] == [True] * 50  # the first of each key wins
    assert (await queue.depth()).ready == 50
    assert await queue.enqueue(job(), delay=30) is True
    assert (await queue.depth()).delayed == 1


async def test_a_failed_round_trip_fails_every_waiting_enqueue(redis_url: str) -> None:
    from bot.errors import StoreUnavailable
    from tests.redis_server import free_port

    queue = RedisJobQueue(redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0"))
    outcomes = await asyncio.gather(*(queue.enqueue(job(n)) for n in range(5)), return_exceptions=True)
    assert all(isinstance(o, StoreUnavailable) for o in outcomes)


async def test_a_redis_that_lost_its_data_gets_the_group_again_and_the_queue_goes_on(redis_client: redis.Redis) -> None:
    """As a Redis restarted without persistence comes back: each call that meets the missing group says the
    store is unavailable (the worker waits and asks again), and the next call makes the group again."""
    queue = RedisJobQueue(redis_client)
    await queue.enqueue(job(1))
    [held] = await queue.take("w1", count=1, wait=0.1)
    await redis_client.flushall()
    with pytest.raises(StoreUnavailable, match="consumer group is gone"):
        await queue.heartbeat("w1", [held])
    assert await queue.reclaim("w1", idle_for=0, count=1) == []
    await redis_client.flushall()
    with pytest.raises(StoreUnavailable, match="consumer group is gone"):
        await queue.reclaim("w1", idle_for=0, count=1)
    assert await queue.take("w1", count=1, wait=0.01) == []
    await redis_client.flushall()
    with pytest.raises(StoreUnavailable, match="consumer group is gone"):
        await queue.take("w1", count=1, wait=0.01)
    await queue.enqueue(job(2))
    [again] = await queue.take("w1", count=1, wait=0.1)
    assert again.job.payload == {"n": 2}
