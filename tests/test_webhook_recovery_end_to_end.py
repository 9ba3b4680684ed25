"""Redis goes down in the middle of a burst of GitHub mentions: what opsbot refused is redelivered once, answered once.

Everything is real but GitHub: ``opsbot serve`` and two ``opsbot worker``
processes, a redis-server of the test's own that is stopped and started
again, and the GitHub emulator delivering webhooks to opsbot as GitHub does,
keeping the App's delivery log and redelivering on request.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.incidents.reminder_due import ReminderDue
from bot.jobs.kinds import Job
from bot.redelivery.model import RecoveryDue, github_event_key
from tests.bot.clients.test_github import app_key
from tests.emulators import GitHubEmulator
from tests.emulators.github_hooks import WebhookReceiver
from tests.fleet import Fleet, Process
from tests.harness import GITHUB_SECRET, BotUnderTest, Emulators, bot_env
from tests.redis_server import RestartableRedis
from tests.test_end_to_end import REPO, by_bot, github_comment
from tests.waiting import eventually

BEFORE, DURING, AFTER = 8, 10, 8  # mentions sent before the outage, while Redis is down, and after


def mention(github: GitHubEmulator, number: int) -> dict[str, Any]:
    """A new "@opsbot help" comment on an issue of its own, as GitHub would deliver it."""
    github.add_issue(REPO, number, title=f"Question {number}", body="", user="Codertocat")
    payload = copy.deepcopy(github_comment("@opsbot help"))
    payload["issue"]["number"] = number
    payload["comment"]["id"] = github.add_comment(
        REPO, number, "@opsbot help", user=payload["comment"]["user"]["login"]
    )
    return payload


async def deliver(github: GitHubEmulator, numbers: range) -> list[dict[str, Any]]:
    """A burst: GitHub sends these at once, each on its own connection."""
    payloads = [mention(github, n) for n in numbers]
    return list(await asyncio.gather(*(asyncio.to_thread(github.deliver, "issue_comment", p) for p in payloads)))


def passes(workers: list[Process]) -> list[list[dict[str, Any]]]:
    """The recovery passes each worker ran, as it logged them (any worker may run any pass)."""
    return [[r for r in worker.logs() if r.get("msg") == "webhook recovery"] for worker in workers]


def answers(github: GitHubEmulator, numbers: range) -> Counter[int]:
    return Counter({n: len(by_bot(github.comments(REPO, n))) for n in numbers})


async def test_webhooks_refused_while_redis_was_down_are_redelivered_once_and_answered_once(
    emulators: Emulators, tmp_path: Path
) -> None:
    github = emulators.github
    redis = RestartableRedis()
    redis.start()
    env = bot_env(
        redis.url, emulators, GITHUB_TOKEN="", GITHUB_APP_ID="4242", GITHUB_APP_PRIVATE_KEY=app_key(),
        OPSBOT_WORKER_CONCURRENCY="4",
    )  # fmt: skip
    fleet = Fleet(env, tmp_path)
    everyone = range(1, BEFORE + DURING + AFTER + 1)
    try:
        web = fleet.web()
        github.add_repo(REPO)
        github.app_hook(f"{web.url}/github/webhook", GITHUB_SECRET)
        # Refused four hours ago, before the window: GitHub still lists it, opsbot leaves it.
        stale = github.record_delivery("issue_comment", mention(github, 900), 503, at=time.time() - 4 * 3600)
        workers = fleet.workers(2)
        # Each worker queued a pass as it started; the first to run covers the other.
        await eventually(lambda: sum(map(len, passes(workers))) == 2, 30, "the workers' start-up passes")

        sent = await deliver(github, range(1, BEFORE + 1))
        assert {d["status_code"] for d in sent} == {202}
        redis.stop()
        refused = await deliver(github, range(BEFORE + 1, BEFORE + DURING + 1))
        assert {d["status_code"] for d in refused} == {503}, "the door answers 503 while the store is down"
        redis.start()
        sent += await deliver(github, range(BEFORE + DURING + 1, everyone.stop))

        await eventually(lambda: set(answers(github, everyone).values()) == {1}, 90, "every mention answered")
        github.redeliveries_sent()
        await asyncio.sleep(1.0)  # a second answer or redelivery, if there were one, would have come by now
        assert set(answers(github, everyone).values()) == {1}, answers(github, everyone)

        log = github.deliveries()
        # What the door refused: the outage's, and any refused as the store came back.
        refused_guids = {d["guid"] for d in log if not d["redelivery"] and d["status_code"] >= 500} - {stale["guid"]}
        assert {d["guid"] for d in refused} <= refused_guids
        redelivered = Counter(d["guid"] for d in log if d["redelivery"])
        assert redelivered == Counter(dict.fromkeys(refused_guids, 1)), "each refused delivery redelivered once"
        assert all(200 <= d["status_code"] < 300 for d in log if d["redelivery"]), "a redelivery was refused"
        asked = github.requests_to("POST", r"^/app/hook/deliveries/\d+/attempts$")
        asked_ids = [int(r.path.split("/")[-2]) for r in asked]
        by_id = {d["id"]: d for d in log}
        assert sorted(by_id[i]["guid"] for i in asked_ids) == sorted(refused_guids)
        assert stale["id"] not in asked_ids, "a delivery outside the window was asked for"

        # Another pass, here a worker starting after a crash, asks GitHub for nothing.
        listings = len(github.requests_to("GET", r"^/app/hook/deliveries$"))
        earlier = [len(ran) for ran in passes(workers)] + [0]
        workers.append(fleet.worker())
        await eventually(lambda: sum(map(len, passes(workers))) > sum(earlier), 30, "the new worker's pass")
        [second] = [p for ran, seen in zip(passes(workers), earlier, strict=True) for p in ran[seen:]]
        assert (second["reason"], second["skipped"], second["asked"], second["refused"]) == (
            "a worker started",
            False,
            0,
            0,
        )
        assert second["listed"] == len([d for d in log if d["guid"] != stale["guid"]])
        assert len(github.requests_to("GET", r"^/app/hook/deliveries$")) > listings
        assert len(github.requests_to("POST", r"/attempts$")) == len(asked)
        assert not emulators.errors
    finally:
        fleet.close()
        redis.close()


async def test_a_repository_webhook_named_by_its_id_is_recovered_with_the_token(
    redis_url: str, redis_client: object, emulators: Emulators
) -> None:
    github = emulators.github
    github.add_repo(REPO)
    with WebhookReceiver(status=503) as door:
        hook = github.repo_hook(REPO, door.url, GITHUB_SECRET)
        env = bot_env(
            redis_url, emulators, GITHUB_WEBHOOK_HOOK_ID=str(github.hook_id(hook)), GITHUB_WEBHOOK_HOOK_REPO=REPO
        )
        async with BotUnderTest(env) as bot:
            assert bot.settings.github_redelivery == "repo"
            refused = github.deliver("issue_comment", mention(github, 1), hook=hook)
            taken = github.deliver("issue_comment", mention(github, 2), hook=hook)  # 503 too, but queued since:
            await bot.runtime.intake.accept(github_event_key(taken["guid"]), Job.of(ReminderDue("inc-1", 1.0)))
            door.status = 202
            await bot.runtime.queue.enqueue(Job.of(RecoveryDue(time.time(), "test")))
            await bot.run_jobs()
            github.redeliveries_sent()
    [asked] = github.requests_to("POST", r"/hooks/\d+/deliveries/\d+/attempts$")
    assert asked.path == f"/repos/{REPO}/hooks/{github.hook_id(hook)}/deliveries/{refused['id']}/attempts"
    assert asked.headers["authorization"] == f"token {github.token}"
    newest = github.deliveries(hook)[0]
    assert (newest["guid"], newest["redelivery"], newest["status_code"]) == (refused["guid"], True, 202)
    assert not github.requests_to("GET", r"^/app/"), "a token's webhook is not the App's"
