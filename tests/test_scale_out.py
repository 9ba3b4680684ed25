"""Several workers on one Redis take a burst: none lost, none handled twice, even when one is killed mid-burst."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as redis

from tests.fleet import Burst, Fleet, dead_letters, freeze_while_busy
from tests.harness import BotUnderTest, Emulators, bot_env
from tests.waiting import eventually

EVENTS = 150
WORKERS = 3


async def test_a_burst_over_three_workers_survives_one_killed_with_every_event_answered_once(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, tmp_path: Path
) -> None:
    env = bot_env(redis_url, emulators, OPSBOT_WORKER_CONCURRENCY="4", OPSBOT_RECLAIM_AFTER="1")
    fleet = Fleet(env, tmp_path)
    # Every Slack call takes as long as a distant API's might, so the burst
    # outlasts the moment one worker is killed.
    emulators.slack.latency = 0.1
    burst = Burst(emulators.slack, EVENTS)
    try:
        async with BotUnderTest(env) as web:
            accepted = await asyncio.gather(*(web.slack(burst.body(n), "application/json") for n in range(EVENTS)))
            assert [a.status_code for a in accepted] == [200] * EVENTS
            workers = fleet.workers(WORKERS)
            victim = workers[1]

            await eventually(lambda: burst.answered() >= 10, 30, "the first answers")
            held = await freeze_while_busy(victim, redis_client)
            victim.kill()  # SIGKILL: no goodbye; what it held stays pending under its name
            assert burst.answered() < EVENTS, "the burst was over before the kill"

            await eventually(lambda: burst.answered() >= EVENTS, 90, f"{EVENTS} answers")
            await web.queue_drained(timeout=30)
        await asyncio.sleep(0.5)  # a late duplicate, if there were one, would have landed by now

        replies = burst.replies()
        assert sorted(replies) == sorted(burst.threads), "an event was lost"
        assert set(replies.values()) == {1}, {thread: n for thread, n in replies.items() if n != 1}
        assert await dead_letters(redis_client) == 0

        survivors = [workers[0], workers[2]]
        # What the killed worker held was taken over (a worker starved of CPU past
        # OPSBOT_RECLAIM_AFTER may lose a job to the others too; its effects still land once).
        taken_over = sum(w.said("took over a job from a silent worker") for w in survivors)
        assert taken_over >= held
        for worker in survivors:
            assert worker.said("job done") > 0, "a worker sat idle during the burst"
            assert await asyncio.to_thread(worker.stop) == 0
        # Every job ran to its end once, plus at most once more for each one taken over.
        assert EVENTS <= sum(w.said("job done") for w in workers) <= EVENTS + taken_over
    finally:
        emulators.slack.latency = 0.0
        fleet.close()
