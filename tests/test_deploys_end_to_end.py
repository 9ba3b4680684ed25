"""Deploys from Slack, a GitHub PR and a GitLab MR: records, policy, locks, status, rollback."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.stores.audit import RedisAuditLog
from handlers.app import build_worker
from tests import fixtures
from tests.harness import BotUnderTest, Emulators, approve_click_body, slash_command_body

API, WEB = "acme/api", "acme/web"
WEB_ID = 77
MAIN_SHA = "a" * 40


def slack_answers(emulators: Emulators, channel: str = "C_OPS") -> list[dict[str, Any]]:
    return [m for m in emulators.slack.messages(channel) if m.get("user") == emulators.slack.bot_user_id]


def setup_forges(emulators: Emulators) -> None:
    emulators.github.add_repo(API, branches={"main": MAIN_SHA, "v2": "b" * 40})
    emulators.github.set_permission(API, "octocat", "write")
    emulators.github.set_permission(API, "reader", "read")
    emulators.gitlab.add_project(WEB, id=WEB_ID)
    emulators.gitlab.set_access_level(WEB, "jdoe", 30)


def deployment_status(deployment: dict[str, Any], state: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/deployment_status.created.json"))
    payload["deployment"]["id"] = deployment["id"]
    payload["deployment"]["payload"] = deployment["payload"]
    payload["deployment_status"]["state"] = state
    payload["deployment_status"]["log_url"] = f"https://ci.example/deploys/{deployment['id']}"
    payload["repository"]["full_name"] = API
    return payload


def pipeline_hook(pipeline: dict[str, Any], status: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/pipeline_hook.json"))
    payload["object_attributes"].update(id=pipeline["id"], status=status, variables=pipeline["variables"])
    payload["project"]["path_with_namespace"] = WEB
    return payload


async def slack(bot: BotUnderTest, text: str, user: str = "U_ALICE", trigger: str | None = None) -> None:
    await bot.slack(slash_command_body(text, user=user, trigger=trigger))
    await bot.run_jobs()


async def test_a_deploy_from_slack_creates_the_deployment_and_reports_back(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to staging")
    [deployment] = emulators.github.deployments(API)
    assert deployment["ref"] == MAIN_SHA
    assert deployment["environment"] == "staging"
    assert deployment["production_environment"] is False
    assert "U_ALICE" in deployment["description"]
    # Where to report back, but never the slash command's response_url (a credential of sorts).
    assert deployment["payload"]["opsbot"]["report_to"] == {"channel": "C_OPS", "thread_ts": None, "platform": "slack"}
    [status] = slack_answers(emulators)
    assert "⏳ queued" in status["text"]

    for state in ("in_progress", "success"):
        assert (await bot.github("deployment_status", deployment_status(deployment, state))).status_code == 202
    await bot.run_jobs()
    edited, done = slack_answers(emulators)
    assert edited["ts"] == status["ts"]  # the same message, edited in place
    assert "✅ live" in edited["text"]
    assert done["text"] == "✅ `api` `main` is live on `staging`."


async def test_a_pr_deploy_uses_its_head_and_reports_on_the_pr(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.github.add_issue(API, 12, "Faster login", pull=True, head_sha="c" * 40, head_ref="login")
    comment = copy.deepcopy(fixtures.load("github/issue_comment.created.on_pull_request.json"))
    comment["repository"]["full_name"] = API
    comment["issue"]["number"] = 12
    comment["comment"]["body"] = "@opsbot deploy to staging"
    comment["comment"]["user"]["login"] = "octocat"
    comment["comment"]["id"] = emulators.github.add_comment(API, 12, "@opsbot deploy to staging", user="octocat")
    assert (await bot.github("issue_comment", comment)).status_code == 202
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    assert deployment["ref"] == "c" * 40
    await bot.github("deployment_status", deployment_status(deployment, "failure"))
    await bot.run_jobs()
    comments = [c for c in emulators.github.comments(API, 12) if c["user"] == "opsbot"]
    assert "❌ failed" in comments[0]["body"]  # edited in place
    assert comments[1]["body"].startswith("❌ Deploy of `api` `login` to `staging` failed.")


async def test_an_mr_deploy_runs_a_pipeline_with_opsbot_variables(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.gitlab.add_merge_request(WEB, 5, "New header", author="jdoe", sha="d" * 40, source_branch="header")
    note = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    note["project"]["path_with_namespace"] = WEB
    note["merge_request"]["iid"] = 5
    note["user"]["username"] = "jdoe"
    note["object_attributes"].update(note="@opsbot deploy to staging")
    note["object_attributes"]["id"] = emulators.gitlab.add_note(WEB, "merge_requests", 5, "@opsbot deploy to staging")
    assert (await bot.gitlab("Note Hook", note)).status_code == 202
    await bot.run_jobs()
    [pipeline] = emulators.gitlab.pipelines(WEB)
    assert pipeline["ref"] == "header"
    assert {v["key"]: v["value"] for v in pipeline["variables"]} == {
        "OPSBOT_SERVICE": "web", "OPSBOT_ENVIRONMENT": "staging", "OPSBOT_REQUESTED_BY": "gitlab:jdoe"
    }  # fmt: skip
    await bot.gitlab("Pipeline Hook", pipeline_hook(pipeline, "running"))
    await bot.gitlab("Pipeline Hook", pipeline_hook(pipeline, "success"))
    await bot.gitlab("Pipeline Hook", pipeline_hook(pipeline, "success"))  # a redelivery changes nothing
    await bot.run_jobs()
    notes = [n for n in emulators.gitlab.notes(WEB, "merge_requests", 5) if n["author"] == "opsbot"]
    assert len(notes) == 2
    assert "✅ live" in notes[0]["body"]
    assert notes[1]["body"].startswith("✅ `web` `header` is live on `staging`.")


@pytest.mark.parametrize(
    ("text", "user", "refusal"),
    [
        ("deploy nope to staging", "U_ALICE", "no service called `nope`"),
        ("deploy api to qa", "U_ALICE", "has no environment `qa`"),
        ("deploy api;rm -rf / to staging", "U_ALICE", "Usage: `/ops deploy"),
        ("deploy ../api to staging", "U_ALICE", "is not a valid service name"),
        ("deploy api@$(id) to staging", "U_ALICE", "is not a valid git ref"),
        ("deploy api to production", "U_EVE", "not one of its deployers"),
        ("deploy api@no-such-branch to staging", "U_ALICE", "`no-such-branch` is not a branch, tag or commit of"),
    ],
)
async def test_refusals_create_nothing(
    bot: BotUnderTest, emulators: Emulators, text: str, user: str, refusal: str
) -> None:
    setup_forges(emulators)
    await slack(bot, text, user=user)
    assert emulators.github.deployments(API) == []
    [answer] = slack_answers(emulators)
    assert refusal in answer["text"]
    if "Usage:" not in answer["text"]:  # a sentence that didn't parse never became a request
        [entry] = await RedisAuditLog(bot.runtime.redis).recent(1)
        assert entry.action == "deploy.refused"
        assert entry.actor.id == user


async def test_a_forge_user_needs_write_access(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.github.add_issue(API, 3, "Docs", pull=True)
    for login in ("reader", "stranger"):
        body = "@opsbot deploy to staging"
        comment = copy.deepcopy(fixtures.load("github/issue_comment.created.on_issue.json"))
        comment["repository"]["full_name"] = API
        comment["issue"]["number"] = 3
        comment["issue"]["pull_request"] = {"url": "x"}
        comment["comment"].update(body=body, id=emulators.github.add_comment(API, 3, body, user=login))
        comment["comment"]["user"]["login"] = login
        await bot.github("issue_comment", comment)
    await bot.run_jobs()
    assert emulators.github.deployments(API) == []
    answers = [c["body"] for c in emulators.github.comments(API, 3) if c["user"] == "opsbot"]
    assert len(answers) == 2
    assert all("You need write access to `acme/api`" in a for a in answers)


async def test_production_needs_someone_else_to_approve(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to production")
    [asked] = slack_answers(emulators)
    approval = re.search(r"approve ([0-9a-f]{6})", asked["text"])
    assert approval is not None
    assert emulators.github.deployments(API) == []
    await slack(bot, f"approve {approval.group(1)}", user="U_ALICE")  # the requester
    await slack(bot, f"approve {approval.group(1)}", user="U_BOB")  # a deployer, not an approver
    assert emulators.github.deployments(API) == []
    await slack(bot, f"approve {approval.group(1)}", user="U_CAROL")
    await slack(bot, f"approve {approval.group(1)}", user="U_CAROL")  # a second click does nothing
    [deployment] = emulators.github.deployments(API)
    assert deployment["ref"] == MAIN_SHA
    assert deployment["production_environment"] is True
    texts = [m["text"] for m in slack_answers(emulators)]
    assert "can't approve your own deploy" in texts[1]
    assert "not an approver of `production`" in texts[2]
    assert "Approved by <@U_CAROL>" in texts[3]
    assert "There is no pending approval" in texts[4]
    assert "⏳ queued" in texts[0]  # the request message now shows the deploy


async def test_a_lock_blocks_other_peoples_deploys(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "lock staging api --reason load test", user="U_BOB")
    await slack(bot, "deploy api to staging", user="U_ALICE")
    assert emulators.github.deployments(API) == []
    assert slack_answers(emulators)[-1]["text"] == (
        "`staging/api` is locked by <@U_BOB>: load test. Nothing was deployed."
    )
    await slack(bot, "deploy api to staging", user="U_BOB")  # the holder may
    assert len(emulators.github.deployments(API)) == 1


async def test_rollback_redeploys_the_previous_successful_ref(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    for ref in ("main", "v2"):
        await slack(bot, f"deploy api@{ref} to staging")
        await bot.github("deployment_status", deployment_status(emulators.github.deployments(API)[-1], "success"))
        await bot.run_jobs()
    await slack(bot, "rollback api staging")
    deployments = emulators.github.deployments(API)
    assert [d["ref"] for d in deployments] == [MAIN_SHA, "b" * 40, MAIN_SHA]
    assert "Rollback of `api` `main`" in slack_answers(emulators)[-1]["text"]
    await slack(bot, "status api")
    status = slack_answers(emulators)[-1]["text"]
    assert "⏳ queued `api` → `staging`: `main` (`aaaaaaa`) by <@U_ALICE>" in status
    assert "deploy.created staging/api by <@U_ALICE>" in status


async def test_two_simultaneous_requests_create_exactly_one_deployment(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    held = emulators.github.hold("POST", r"/repos/acme/api/deployments$")
    for n in range(2):
        await bot.slack(slash_command_body("deploy api@v2 to staging", user=("U_ALICE", "U_BOB")[n]))
    running = asyncio.create_task(bot.run_jobs())
    assert await held.reached(10.0)
    await asyncio.sleep(0.5)  # the second job meets the claim meanwhile
    held.release()
    await running
    assert len(emulators.github.deployments(API)) == 1
    texts = [m["text"] for m in slack_answers(emulators)]
    assert sum("is already deploying" in t for t in texts) == 1


async def test_many_concurrent_requests_from_anyone_create_one_deployment(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    people = ("U_ALICE", "U_BOB") * 4
    refs = ("main", "v2") * 4
    bodies = [
        slash_command_body(f"deploy api@{ref} to staging", user=who) for who, ref in zip(people, refs, strict=True)
    ]
    answers = await asyncio.gather(*(bot.slack(body) for body in bodies))
    assert {a.status_code for a in answers} == {200}
    stop = asyncio.Event()
    workers = [asyncio.create_task(build_worker(bot.runtime).run(stop)) for _ in range(3)]
    try:
        await bot.queue_drained()
    finally:
        stop.set()
        await asyncio.gather(*workers)
    [deployment] = emulators.github.deployments(API)
    texts = [m["text"] for m in slack_answers(emulators)]
    assert len(texts) == len(bodies)
    refused = [t for t in texts if "Nothing new was created" in t or "Another deploy is in flight" in t]
    assert len(refused) == len(bodies) - 1
    # Each refusal names the one in flight: its commit and who asked.
    sha7 = deployment["ref"][:7]
    assert all(f"(`{sha7}`)" in t and ("<@U_ALICE>" in t or "<@U_BOB>" in t) for t in refused)


async def test_a_deploy_in_flight_is_named_until_the_forge_reports_a_final_status(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to staging", user="U_ALICE")
    [first] = emulators.github.deployments(API)
    await slack(bot, "deploy api to staging", user="U_BOB")  # the same commit
    assert slack_answers(emulators)[-1]["text"].startswith(
        "`api` `main` (`aaaaaaa`) to `staging` is already deploying, asked by <@U_ALICE>; its status is in <#C_OPS>"
    )
    await bot.github("deployment_status", deployment_status(first, "in_progress"))
    await bot.run_jobs()
    await slack(bot, "deploy api@v2 to staging", user="U_BOB")  # another commit
    refusal = slack_answers(emulators)[-1]["text"]
    assert refusal.startswith("Another deploy is in flight: `api` `main` (`aaaaaaa`)")
    assert "asked by <@U_ALICE>" in refusal
    assert len(emulators.github.deployments(API)) == 1
    await bot.github("deployment_status", deployment_status(first, "failure"))
    await bot.run_jobs()
    await slack(bot, "deploy api@v2 to staging", user="U_BOB")
    assert [d["ref"] for d in emulators.github.deployments(API)] == [MAIN_SHA, "b" * 40]


async def test_a_deploy_waiting_for_approval_is_in_flight(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to production", user="U_ALICE")
    approval = re.search(r"approve ([0-9a-f]{6})", slack_answers(emulators)[-1]["text"])
    assert approval is not None
    await slack(bot, "deploy api@v2 to production", user="U_BOB")
    refusal = slack_answers(emulators)[-1]["text"]
    assert f"waiting for approval `{approval.group(1)}`" in refusal
    assert "approve" not in refusal.split("waiting for approval")[0]  # no second approval was opened
    assert not re.search(r"Approve with", refusal)
    await slack(bot, f"approve {approval.group(1)}", user="U_CAROL")
    [deployment] = emulators.github.deployments(API)
    assert deployment["ref"] == MAIN_SHA


async def test_the_approve_button_in_slack_approves_as_the_person_who_clicked(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to production")
    [asked] = slack_answers(emulators)
    body = approve_click_body(asked, "U_CAROL")
    assert (await bot.slack(body)).status_code == 200
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    assert deployment["production_environment"] is True
    request, approved = slack_answers(emulators)
    assert "⏳ queued" in request["text"]
    assert not request.get("blocks")  # the button is gone once it has been used
    assert approved["thread_ts"] == asked["ts"]
    assert "Approved by <@U_CAROL>" in approved["text"]


def mr_note(emulators: Emulators, username: str, iid: int = 5) -> dict[str, Any]:
    note: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    note["project"]["path_with_namespace"] = WEB
    note["merge_request"]["iid"] = iid
    note["user"]["username"] = username
    note["object_attributes"]["note"] = "@opsbot deploy to staging"
    note["object_attributes"]["id"] = emulators.gitlab.add_note(
        WEB, "merge_requests", iid, "@opsbot deploy to staging", author=username
    )
    return note


async def test_a_gitlab_deployment_hook_reports_on_the_merge_request(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.gitlab.add_merge_request(WEB, 5, "Header", author="jdoe", sha="e" * 40, source_branch="header")
    await bot.gitlab("Note Hook", mr_note(emulators, "jdoe"))
    await bot.run_jobs()
    hook: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/deployment_hook.json"))
    hook["project"]["path_with_namespace"] = WEB
    hook.update(environment="staging", short_sha="e" * 8, status="success")
    assert (await bot.gitlab("Deployment Hook", hook)).status_code == 202
    await bot.run_jobs()
    notes = [n for n in emulators.gitlab.notes(WEB, "merge_requests", 5) if n["author"] == "opsbot"]
    assert "✅ live" in notes[0]["body"]
    assert notes[1]["body"].startswith("✅ `web` `header` is live on `staging`.")


async def test_a_gitlab_reporter_may_not_deploy(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.gitlab.set_access_level(WEB, "viewer", 20)
    emulators.gitlab.add_merge_request(WEB, 5, "Header", author="jdoe", source_branch="header")
    await bot.gitlab("Note Hook", mr_note(emulators, "viewer"))
    await bot.run_jobs()
    assert emulators.gitlab.pipelines(WEB) == []
    [answer] = [n for n in emulators.gitlab.notes(WEB, "merge_requests", 5) if n["author"] == "opsbot"]
    assert "You need write access to `acme/web`" in answer["body"]


async def test_a_deploy_asked_in_a_slack_thread_reports_in_that_thread(bot: BotUnderTest, emulators: Emulators) -> None:
    from tests.harness import JSON_CT, event_callback

    setup_forges(emulators)
    thread = emulators.slack.add_message("C_OPS", "api looks slow, shall we ship the fix?", user="U_BOB")
    mention = {"type": "app_mention", "user": "U_ALICE", "text": "<@UBOT> deploy api@v2 to staging",
               "ts": "1800000000.000200", "thread_ts": thread, "channel": "C_OPS"}  # fmt: skip
    await bot.slack(event_callback(mention), JSON_CT)
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    await bot.github("deployment_status", deployment_status(deployment, "success"))
    await bot.run_jobs()
    status, done = slack_answers(emulators)
    assert status["thread_ts"] == thread
    assert done["thread_ts"] == thread
    assert done["text"] == "✅ `api` `v2` is live on `staging`."


async def test_a_permission_check_that_fails_denies(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.github.add_issue(API, 4, "Fix", pull=True)
    emulators.github.fail_next("GET", r"/collaborators/octocat/permission$", 500, times=5)
    comment = copy.deepcopy(fixtures.load("github/issue_comment.created.on_pull_request.json"))
    comment["repository"]["full_name"] = API
    comment["issue"]["number"] = 4
    comment["comment"].update(body="@opsbot deploy to staging")
    comment["comment"]["user"]["login"] = "octocat"
    comment["comment"]["id"] = emulators.github.add_comment(API, 4, "@opsbot deploy to staging", user="octocat")
    await bot.github("issue_comment", comment)
    await bot.run_jobs()
    assert emulators.github.deployments(API) == []
    [answer] = [c["body"] for c in emulators.github.comments(API, 4) if c["user"] == "opsbot"]
    assert "couldn't confirm your access to `acme/api`, so I won't deploy" in answer


def slash_with_reply_address(text: str, user: str, response_url: str) -> bytes:
    """A slash command carrying its own one-time response_url, as each real one does."""
    fields = dict(parse_qsl(slash_command_body(text, user=user).decode()))
    return urlencode({**fields, "response_url": response_url}).encode()


async def test_approve_without_an_id_finds_the_approval_asked_in_the_same_channel(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    asked_with, approved_with = emulators.slack.response_url("trig-ask"), emulators.slack.response_url("trig-ok")
    await bot.slack(slash_with_reply_address("deploy api to production", "U_ALICE", asked_with))
    await bot.run_jobs()
    assert emulators.github.deployments(API) == []
    await bot.slack(slash_with_reply_address("approve", "U_CAROL", approved_with))
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    assert deployment["production_environment"] is True
    assert "Approved by <@U_CAROL>" in slack_answers(emulators)[-1]["text"]
    names = [k.decode() async for k in bot.runtime.redis.scan_iter("*")]
    assert not [n for n in names if "/commands/" in n or "hooksecret" in n or "trig-" in n]
