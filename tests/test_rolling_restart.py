"""SIGTERM, as compose and Kubernetes send it: a web process finishes what it accepted and takes nothing new;
a worker finishes or hands back its jobs; a rolling restart of both under load loses and repeats nothing."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis

from bot.stores import keys
from tests.fleet import CLEAN_EXITS, Burst, Fleet, dead_letters, freeze_while_busy, send
from tests.harness import Emulators, bot_env
from tests.waiting import eventually


@pytest.fixture
def fleet(redis_url: str, redis_client: redis.Redis, emulators: Emulators, tmp_path: Path) -> Fleet:
    return Fleet(bot_env(redis_url, emulators, OPSBOT_WORKER_CONCURRENCY="4"), tmp_path)


async def test_sigterm_lets_accepted_webhooks_finish_and_takes_no_new_ones(
    fleet: Fleet, redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    burst = Burst(emulators.slack, 9)
    web = fleet.web()
    assert web.url is not None
    # Redis holds every write for a moment, so the webhooks below are still
    # being queued (not yet answered) when the signal arrives.
    pauser = redis.Redis.from_url(redis_url)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await pauser.client_pause(3000, all=False)  # WRITE mode: scripts wait, PING doesn't
            in_flight = [asyncio.create_task(send(client, web.url, burst.body(n))) for n in range(8)]
            await asyncio.sleep(0.4)
            assert not any(task.done() for task in in_flight), "the requests were answered before the signal"
            web.process.terminate()
            await asyncio.sleep(0.4)  # uvicorn notices the signal within 0.1 s
            with pytest.raises(httpx.ConnectError):
                await send(client, web.url, burst.body(8))
            assert web.running(), "the web process left before finishing what it accepted"
            answers = await asyncio.gather(*in_flight)
    finally:
        await pauser.aclose()
    assert [a.status_code for a in answers] == [200] * 8
    assert await asyncio.to_thread(web.process.wait, 30) in CLEAN_EXITS
    # Every accepted event is on the queue, and the refused one is not.
    assert await redis_client.xlen(keys.JOBS) == 8
    assert web.said("worker stopped") == 0  # a web process with Redis runs no worker of its own


async def test_a_worker_past_its_grace_hands_the_job_back_and_it_is_answered_once(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, tmp_path: Path
) -> None:
    fleet = Fleet(bot_env(redis_url, emulators, OPSBOT_STOP_GRACE="0.5"), tmp_path)
    try:
        web = fleet.web()
        assert web.url is not None
        # The answer is posted, but its reply is held: the job can't finish in its grace.
        burst = Burst(emulators.slack, 1)
        held = emulators.slack.hold("POST", r"/api/chat\.postMessage$")
        leaving = fleet.worker()
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await send(client, web.url, burst.body(0))).status_code == 200
        assert await asyncio.to_thread(held.wait_reached, 30.0), "the worker never posted the answer"
        assert await asyncio.to_thread(leaving.stop, 30.0) == 0
        held.release()
        assert leaving.said("job handed back on stop") == 1

        fleet.worker()  # picks the job up at once: it was handed back, not left to time out
        await eventually(lambda: burst.answered() >= 1, 30, "the answer")
        await asyncio.sleep(0.5)  # a second answer, if one were coming, would be posted by now
        assert burst.replies() == {burst.threads[0]: 1}
        assert await dead_letters(redis_client) == 0
    finally:
        fleet.close()


async def test_a_rolling_restart_under_load_loses_nothing_and_answers_each_event_once(
    fleet: Fleet, redis_client: redis.Redis, emulators: Emulators
) -> None:
    rounds = 90
    burst = Burst(emulators.slack, rounds * 3)
    # Slow answers keep a backlog, so the leaving worker is busy when it is told to stop.
    emulators.slack.latency = 0.2
    try:
        webs = [fleet.web(), fleet.web()]
        workers = [fleet.worker(), fleet.worker()]
        live = [web.url for web in webs if web.url is not None]
        refused = 0
        statuses: list[int] = []

        async def deliver(client: httpx.AsyncClient, n: int) -> None:
            """As a load balancer would: on a refused or dropped connection, the same event to another."""
            nonlocal refused
            for attempt in range(len(live) * 3):
                url = live[(n + attempt) % len(live)]
                try:
                    statuses.append((await send(client, url, burst.body(n))).status_code)
                    return
                except httpx.TransportError:
                    refused += 1
            raise AssertionError(f"event {n} found no web process to take it")

        async with httpx.AsyncClient(timeout=30) as client:
            for n in range(rounds):
                if n == rounds // 3:
                    # The rollout: one web process and one worker are replaced.
                    webs[0].process.terminate()
                    # Told to stop while it holds jobs, so it has something to finish.
                    await freeze_while_busy(workers[0], redis_client)
                    workers[0].process.terminate()
                    workers[0].process.send_signal(signal.SIGCONT)
                    live.append(fleet.web().url or "")
                    workers.append(fleet.worker())
                await asyncio.gather(*(deliver(client, n * 3 + k) for k in range(3)))
        total = rounds * 3

        assert statuses == [200] * total
        await eventually(lambda: burst.answered() >= total, 90, f"{total} answers")
        await asyncio.sleep(0.5)
        replies = burst.replies()
        assert sorted(replies) == sorted(burst.threads)
        assert set(replies.values()) == {1}, {t: c for t, c in replies.items() if c != 1}
        assert await dead_letters(redis_client) == 0

        assert await asyncio.to_thread(webs[0].process.wait, 45) in CLEAN_EXITS
        assert await asyncio.to_thread(workers[0].process.wait, 45) == 0
        # The replaced worker was working when told to stop, and finished before leaving.
        assert workers[0].said("finishing in-flight jobs before stopping") == 1
        assert workers[0].said("job done") > 0
        assert workers[0].said("job handed back on stop") == 0
        assert refused > 0, "no event was sent to the stopped web process, so the rollout tested nothing"
    finally:
        emulators.slack.latency = 0.0
        fleet.close()
