"""Transient upstream failures are retried within limits, then reported plainly."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import pytest

from bot.jobs.kinds import Job
from bot.stores import keys
from tests.test_end_to_end import REPO, by_bot, posted, setup_github

if TYPE_CHECKING:
    from tests.harness import BotUnderTest, Emulators

COMMENTS = r"/issues/\d+/comments$"


async def test_a_transient_failure_is_retried_and_answered_once(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    emulators.github.fail_next("POST", COMMENTS, 502, times=2)
    await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
    await bot.run_jobs()
    [answer] = by_bot(emulators.github.comments(REPO, number))
    assert "@opsbot deploy" in answer["body"]
    assert len(emulators.github.requests_to("POST", COMMENTS)) == 3
    stats = await bot.runtime.stats.snapshot()
    assert stats["count|chat.message|retried"] == 2
    assert stats["count|chat.message|done"] == 1


async def test_rate_limits_are_honoured_then_retried(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    emulators.github.fail_next("POST", COMMENTS, 429, headers={"Retry-After": "0.3"})
    await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
    await bot.run_jobs()
    assert len(by_bot(emulators.github.comments(REPO, number))) == 1


async def test_when_retries_run_out_the_asker_gets_plain_words_and_an_error_id(
    bot: BotUnderTest, emulators: Emulators, caplog: pytest.LogCaptureFixture
) -> None:
    number = setup_github(emulators)
    emulators.github.fail_next("POST", COMMENTS, 503, times=3)  # OPSBOT_MAX_ATTEMPTS=3 in the harness
    with caplog.at_level(logging.ERROR, logger="bot.jobs.worker"):
        await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
        await bot.run_jobs()
    [report] = by_bot(emulators.github.comments(REPO, number))
    assert "GitHub is not answering right now (HTTP 503). I tried 3 times." in report["body"]
    error_id = re.search(r"error id (E-[0-9A-F]{8})", report["body"])
    assert error_id is not None
    logged = [r for r in caplog.records if r.getMessage() == "job failed"]
    assert [getattr(r, "error_id", None) for r in logged] == [error_id.group(1)]
    assert (await bot.runtime.stats.snapshot())["count|chat.message|failed"] == 1
    entries: Any = await bot.runtime.redis.xrange(keys.JOBS_DEAD)
    [(_, dead)] = entries
    assert dead[b"reason"].decode().startswith(f"{error_id.group(1)}: UpstreamUnavailable")


async def test_a_permanent_refusal_is_reported_without_retrying(bot: BotUnderTest, emulators: Emulators) -> None:
    number = setup_github(emulators)
    emulators.github.fail_next("POST", COMMENTS, 403)
    await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
    await bot.run_jobs()
    [report] = by_bot(emulators.github.comments(REPO, number))
    assert "GitHub refused the request: the token or App lacks a permission" in report["body"]
    assert len(emulators.github.requests_to("POST", COMMENTS)) == 2  # the failed answer, then the report


async def test_a_job_whose_payload_does_not_read_is_dead_lettered_with_the_reason_at_once(bot: BotUnderTest) -> None:
    # As a newer release or a bug might queue it: no status, so there is nothing to relay.
    await bot.runtime.queue.enqueue(Job("deploy.status", {"key": "github:acme/api:42", "url": None}))
    await bot.run_jobs()
    stats = await bot.runtime.stats.snapshot()
    assert stats["count|deploy.status|failed"] == 1
    assert "count|deploy.status|retried" not in stats
    entries: Any = await bot.runtime.redis.xrange(keys.JOBS_DEAD)
    [(_, dead)] = entries
    assert re.fullmatch(
        r"E-[0-9A-F]{8}: MalformedJob: deploy.status payload: 'status' is missing", dead[b"reason"].decode()
    )
