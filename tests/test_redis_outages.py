"""Redis restarted, or killed and started again, under opsbot: the first requests after it is back are answered,
and a burst of GitHub mentions over two real workers loses and repeats nothing, each acknowledged mention answered
within seconds of Redis's return rather than after the minute another worker's reclaim would take.

The Redis here is a test's own (tests/redis_server.py's RestartableRedis), with the AOF written before each reply
as production is told to run it, so a kill -9 keeps everything opsbot acknowledged. What is answered 503 while
Redis is away is not these tests' business: Slack sends it again, and opsbot recovers GitHub's.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as redis

from bot.stores.redis import CONNECT_TIMEOUT
from tests import fixtures
from tests.fleet import Fleet, Process, dead_letters
from tests.harness import BotUnderTest, Emulators, bot_env, github_headers
from tests.redis_server import RestartableRedis
from tests.tcp_relay import ForgetfulRelay
from tests.test_end_to_end import REPO, by_bot

RETURN_BOUND = 10.0  # seconds from Redis answering again to the last acknowledged mention's answer


@pytest.fixture
def own_redis() -> Iterator[RestartableRedis]:
    with RestartableRedis() as server:
        yield server


def mention(emulators: Emulators, number: int, body: str = "@opsbot help") -> dict[str, Any]:
    """The webhook of a new comment on pull request ``number``, as it exists on the emulated GitHub."""
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_pull_request.json"))
    payload["repository"]["full_name"] = REPO
    payload["issue"]["number"] = number
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = "octocat"
    payload["comment"]["id"] = emulators.github.add_comment(REPO, number, body, user="octocat")
    return payload


def open_pull_requests(emulators: Emulators, count: int) -> list[int]:
    emulators.github.add_repo(REPO)
    numbers = list(range(1, count + 1))
    for number in numbers:
        emulators.github.add_issue(REPO, number, f"Change {number}", pull=True)
    return numbers


# -- the first request after a reconnect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outage",
    ["restarted", "killed and started again", "restarted behind a relay that forgets its connections"],
)
async def test_the_first_webhook_and_readyz_after_redis_is_back_are_answered(
    own_redis: RestartableRedis, emulators: Emulators, outage: str
) -> None:
    forgetful = "relay" in outage
    with ForgetfulRelay(own_redis.port) as relay:
        async with BotUnderTest(bot_env(relay.url if forgetful else own_redis.url, emulators)) as web:
            [number] = open_pull_requests(emulators, 1)
            assert (await web.github("issue_comment", mention(emulators, number))).status_code == 202
            # The app's pool holds several connections, as a busy process's does.
            await asyncio.gather(*(web.runtime.redis.ping() for _ in range(4)))
            if forgetful:
                assert relay.open_connections >= 4
                relay.forget()  # before Redis stops, so the clients never hear their connections end
            own_redis.kill() if "killed" in outage else own_redis.stop()

            if not forgetful:
                # While Redis is away, both say so at once: no retry loop, no waiting for a timeout.
                started = time.monotonic()
                assert (await web.http.get("/readyz")).status_code == 503
                assert (await web.github("issue_comment", mention(emulators, number))).status_code == 503
                assert time.monotonic() - started < CONNECT_TIMEOUT

            own_redis.start()
            # The very first of each, not eventually; sent together, so each meets a pooled connection of its own.
            first, ready = await asyncio.gather(
                web.github("issue_comment", mention(emulators, number)), web.http.get("/readyz")
            )
            assert first.status_code == 202, first.text
            assert ready.status_code == 200, ready.text
            if forgetful:
                assert relay.resets >= 2, "not both met a dead pooled connection: the test tested less than it says"
            queued = redis.Redis.from_url(own_redis.url)
            try:
                # The one from before (kept on disk, even through a kill) and the first one after.
                assert await queued.xlen("opsbot:jobs") == 2
            finally:
                await queued.aclose()


# -- a burst over two workers through a blip ----------------------------------------------------------------------

EVENTS = 120
WAVE = 10  # webhooks sent at once
OUTAGE = 1.0  # seconds Redis is away
STARTUP = 90.0  # seconds processes may take to start: no bound of opsbot's, only of the machine's


class GitHubBurst:
    """``@opsbot help`` on each of ``count`` pull requests, delivered to one web process in waves."""

    def __init__(self, emulators: Emulators, count: int) -> None:
        self.emulators = emulators
        self.numbers = open_pull_requests(emulators, count)
        self.bodies = {n: orjson.dumps(mention(emulators, n)) for n in self.numbers}
        self.statuses: dict[int, int] = {}

    async def deliver(self, client: httpx.AsyncClient, url: str, numbers: list[int]) -> None:
        for at in range(0, len(numbers), WAVE):
            await asyncio.gather(*(self._one(client, url, n) for n in numbers[at : at + WAVE]))

    async def _one(self, client: httpx.AsyncClient, url: str, number: int) -> None:
        body = self.bodies[number]
        answer = await client.post(f"{url}/github/webhook", content=body, headers=github_headers(body, "issue_comment"))
        self.statuses[number] = answer.status_code

    @property
    def acknowledged(self) -> list[int]:
        return [n for n, status in self.statuses.items() if 200 <= status < 300]

    def answers(self, number: int) -> list[dict[str, Any]]:
        return by_bot(self.emulators.github.comments(REPO, number))

    def answered_at(self, number: int) -> float:
        """When the emulated GitHub received the answer to pull request ``number``."""
        [posted] = self.emulators.github.requests_to("POST", rf"/repos/{REPO}/issues/{number}/comments$")
        return posted.received_at


def said(workers: list[Process], message: str) -> int:
    return sum(worker.said(message) for worker in workers)


async def burst_through_a_blip(
    own_redis: RestartableRedis, emulators: Emulators, tmp_path: Path, *, kill: bool
) -> None:
    # reclaim_after at its default: nothing here may wait for another worker's take-over.
    env = bot_env(own_redis.url, emulators, OPSBOT_RECLAIM_AFTER="60", OPSBOT_WORKER_CONCURRENCY="8")
    fleet = Fleet(env, tmp_path)
    burst = GitHubBurst(emulators, EVENTS)
    emulators.github.latency = 0.05  # answers take a moment, so jobs are in flight when Redis goes
    try:
        # Started side by side: each takes seconds to import, many on a busy machine.
        web, workers = await asyncio.gather(
            asyncio.to_thread(fleet.web, STARTUP), asyncio.to_thread(fleet.workers, 2, STARTUP)
        )
        assert web.url is not None
        # One answer is posted, and its worker is still waiting for GitHub's reply when Redis goes:
        # whatever that job writes next, it writes to a store that isn't there.
        held = emulators.github.hold("POST", r"/issues/\d+/comments$")
        third = EVENTS // 3
        async with httpx.AsyncClient(timeout=30) as client:
            await burst.deliver(client, web.url, burst.numbers[:third])
            assert await asyncio.to_thread(held.wait_reached, 30.0), "no answer was posted"
            own_redis.kill() if kill else own_redis.stop()
            held.release()
            went = time.monotonic()
            await burst.deliver(client, web.url, burst.numbers[third : 2 * third])  # mostly refused: Redis is away
            await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - went)))
            back = own_redis.start()
            await burst.deliver(client, web.url, burst.numbers[2 * third :])

        acknowledged = burst.acknowledged
        assert set(burst.statuses.values()) <= {202, 503}, burst.statuses
        assert 503 in burst.statuses.values(), "the web process never noticed the outage"
        assert len(acknowledged) >= 2 * third
        deadline = back + RETURN_BOUND + 20  # the bound is checked below, on GitHub's clock of arrivals
        while not all(burst.answers(n) for n in acknowledged):
            assert time.monotonic() < deadline, [n for n in acknowledged if not burst.answers(n)]
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a second answer, if one were coming, would be posted by now

        for number in burst.numbers:
            answers = burst.answers(number)
            assert len(answers) <= 1, f"pull request {number} was answered {len(answers)} times"
        for number in acknowledged:
            [answer] = burst.answers(number)
            assert "@opsbot deploy" in answer["body"], answer["body"]  # the help, not a failure report
            late = burst.answered_at(number) - back
            assert late <= RETURN_BOUND, f"pull request {number} was answered {late:.1f} s after Redis was back"

        # Settled by the workers that held the jobs, once Redis answered: no take-over, nothing run again.
        assert said(workers, "job outcome recorded once the store was back") >= 1
        assert said(workers, "took over a job from a silent worker") == 0
        assert said(workers, "could not record a job's outcome; it will run again") == 0
        assert all(worker.running() for worker in [web, *workers]), "a process died with the store"
        store = redis.Redis.from_url(own_redis.url)
        try:
            assert await dead_letters(store) == 0
        finally:
            await store.aclose()
        for worker in workers:
            assert await asyncio.to_thread(worker.stop) == 0
    finally:
        emulators.github.latency = 0.0
        fleet.close()


async def test_a_burst_through_a_redis_restart_loses_and_repeats_nothing_and_answers_soon_after(
    own_redis: RestartableRedis, emulators: Emulators, tmp_path: Path
) -> None:
    await burst_through_a_blip(own_redis, emulators, tmp_path, kill=False)


async def test_a_burst_through_a_redis_killed_and_started_again_loses_and_repeats_nothing_and_answers_soon_after(
    own_redis: RestartableRedis, emulators: Emulators, tmp_path: Path
) -> None:
    await burst_through_a_blip(own_redis, emulators, tmp_path, kill=True)
