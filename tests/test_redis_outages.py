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
from typing import Any

import pytest
import redis.asyncio as redis

from bot.stores.redis import CONNECT_TIMEOUT
from tests import fixtures
from tests.harness import BotUnderTest, Emulators, bot_env
from tests.redis_server import RestartableRedis
from tests.tcp_relay import ForgetfulRelay
from tests.test_end_to_end import REPO

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
