"""A worker killed in the middle of a job: the job runs again, the reply appears once."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.harness import BotUnderTest, Emulators, bot_env
from tests.processes import opsbot, stop
from tests.test_end_to_end import REPO, by_bot, posted, setup_github


@pytest.mark.parametrize(
    ("dies_during", "path"),
    [
        ("the answer, after GitHub took it", r"/issues/\d+/comments$"),
        ("the 👀, before the answer", r"/issues/comments/\d+/reactions$"),
    ],
)
async def test_a_killed_workers_job_runs_again_and_answers_once(
    redis_url: str, redis_client: object, emulators: Emulators, dies_during: str, path: str
) -> None:
    env = bot_env(redis_url, emulators)
    async with BotUnderTest(env) as web:
        number = setup_github(emulators)
        held = emulators.github.hold("POST", path)
        await web.github("issue_comment", posted(emulators, number, "@opsbot help"))

        doomed = opsbot(["worker"], env)
        try:
            assert await asyncio.to_thread(held.wait_reached, 30.0), "the worker never reached the held call"
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            if doomed.poll() is None:
                doomed.kill()
        held.release()

        survivor = opsbot(["worker"], env)
        try:
            await web.queue_drained()
        finally:
            assert stop(survivor) == 0  # SIGTERM: a clean, graceful exit

        answers = by_bot(emulators.github.comments(REPO, number))
        assert len(answers) == 1, f"died during {dies_during}: {answers}"
        assert "@opsbot deploy" in answers[0]["body"]
        [asked] = [c for c in emulators.github.comments(REPO, number) if c["user"] != "opsbot"]
        assert [r["content"] for r in asked["reactions"]] == ["eyes"]


async def test_a_job_that_keeps_killing_its_workers_is_stopped_and_reported(
    redis_url: str, redis_client: object, emulators: Emulators
) -> None:
    env = bot_env(redis_url, emulators, OPSBOT_MAX_ATTEMPTS="2")
    async with BotUnderTest(env) as web:
        number = setup_github(emulators)
        await web.github("issue_comment", posted(emulators, number, "@opsbot help"))
        # Every worker dies on the 👀 (its effect lands, the worker never sees the answer).
        for _ in range(2):
            held = emulators.github.hold("POST", r"/issues/comments/\d+/reactions$")
            doomed = opsbot(["worker"], env)
            try:
                assert await asyncio.to_thread(held.wait_reached, 30.0)
            finally:
                doomed.kill()
                doomed.wait(timeout=10)
                held.release()
        # The third delivery is over the limit of two: stopped before it runs, and reported.
        survivor = opsbot(["worker"], env)
        try:
            await web.queue_drained()
        finally:
            assert stop(survivor) == 0
        [report] = by_bot(emulators.github.comments(REPO, number))
        assert "opsbot stopped 2 times while working on this request" in report["body"]
        assert await web.runtime.redis.xlen("opsbot:jobs:dead") == 1
