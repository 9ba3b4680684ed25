"""Dry runs from Slack, a GitHub PR and a GitLab MR: every check against the real forges' answers, nothing created."""

from __future__ import annotations

import copy
from typing import Any

from bot.model import GitHubThread, GitLabThread, SlackThread
from bot.stores.approvals import RedisApprovalStore
from bot.stores.audit import RedisAuditLog
from bot.stores.deploys import RedisDeploymentStore
from tests import fixtures
from tests.harness import BotUnderTest, Emulators
from tests.test_deploys_end_to_end import API, MAIN_SHA, WEB, setup_forges, slack, slack_answers

WRITES = r"/(deployments|pipeline)"  # what a deploy would create on either forge


async def nothing_was_created(bot: BotUnderTest, emulators: Emulators, service: str, *places: Any) -> None:
    assert emulators.github.deployments(API) == []
    assert emulators.gitlab.pipelines(WEB) == []
    assert [r.path for r in emulators.github.requests_to("POST", WRITES)] == []
    assert [r.path for r in emulators.gitlab.requests_to("POST", WRITES)] == []
    deployments, approvals = RedisDeploymentStore(bot.runtime.redis), RedisApprovalStore(bot.runtime.redis)
    for environment in ("staging", "production"):
        assert await deployments.in_flight(service, environment) is None
        assert await deployments.history(service, environment, 10) == []
    for place in places:
        assert await approvals.latest_for(place) is None


async def test_a_dry_run_in_slack_shows_the_plan_and_the_audit_shows_the_dry_run(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api@v2 to production --dry-run")
    [plan] = slack_answers(emulators)
    assert plan["text"].startswith("🧪 Dry run: would deploy `api` `v2` (`bbbbbbb`) to `production`;")
    assert "needs an approval by one of <@U_CAROL>" in plan["text"]
    assert not plan.get("blocks")  # no Approve button: nothing waits for one
    assert emulators.github.requests_to("GET", r"/repos/acme/api/commits/v2$")  # the ref was resolved
    await nothing_was_created(bot, emulators, "api", SlackThread("C_OPS"))

    await slack(bot, "status api")
    status = slack_answers(emulators)[-1]["text"]
    assert "deploy.dry_run production/api by <@U_ALICE>: would deploy v2 (bbbbbbb)" in status
    assert "none yet" in status  # no deploy is shown as made


async def test_a_dry_run_in_slack_meets_the_refusal_the_deploy_would(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "lock staging api --reason load test", user="U_BOB")
    await slack(bot, "deploy api to production --dry-run", user="U_EVE")
    await slack(bot, "deploy api to staging --dry-run", user="U_ALICE")
    await slack(bot, "deploy api@no-such-branch to staging --dry-run", user="U_BOB")
    _, not_deployer, locked, no_ref = (m["text"] for m in slack_answers(emulators))
    assert not_deployer == "You may not deploy to `production`: you are not one of its deployers."
    assert locked == "`staging/api` is locked by <@U_BOB>: load test. Nothing was deployed."
    assert no_ref == "`no-such-branch` is not a branch, tag or commit of `acme/api`."
    await nothing_was_created(bot, emulators, "api", SlackThread("C_OPS"))
    refusals = [e for e in await RedisAuditLog(bot.runtime.redis).recent(10) if e.action == "deploy.dry_run"]
    assert [e.detail.split(":")[0] for e in refusals] == ["refused"] * 3


def pr_comment(emulators: Emulators, number: int, body: str, login: str) -> dict[str, Any]:
    comment: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_pull_request.json"))
    comment["repository"]["full_name"] = API
    comment["issue"]["number"] = number
    comment["comment"]["body"] = body
    comment["comment"]["user"]["login"] = login
    comment["comment"]["id"] = emulators.github.add_comment(API, number, body, user=login)
    return comment


async def test_a_dry_run_on_a_pull_request_plans_its_head_and_checks_write_access(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    emulators.github.add_issue(API, 12, "Faster login", pull=True, head_sha="c" * 40, head_ref="login")
    for login, environment in (("octocat", "production"), ("reader", "staging")):  # both may ask, says ops.yaml
        payload = pr_comment(emulators, 12, f"@opsbot deploy to {environment} --dry-run", login)
        assert (await bot.github("issue_comment", payload)).status_code == 202
        await bot.run_jobs()
    planned, refused = (c["body"] for c in emulators.github.comments(API, 12) if c["user"] == "opsbot")
    assert planned.startswith("🧪 Dry run: would deploy `api` `login` (`ccccccc`) to `production`;")
    assert "needs an approval by one of" in planned
    assert "You need write access to `acme/api` to deploy it." in refused  # asked of GitHub, as a deploy does
    assert emulators.github.requests_to("GET", r"/collaborators/reader/permission$")
    await nothing_was_created(bot, emulators, "api", GitHubThread(API, 12, True))


async def test_a_dry_run_on_a_merge_request_runs_no_pipeline(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.gitlab.add_merge_request(WEB, 5, "New header", author="jdoe", sha="d" * 40, source_branch="header")
    body = "@opsbot deploy --dry-run to staging"
    note: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    note["project"]["path_with_namespace"] = WEB
    note["merge_request"]["iid"] = 5
    note["user"]["username"] = "jdoe"
    note["object_attributes"]["note"] = body
    note["object_attributes"]["id"] = emulators.gitlab.add_note(WEB, "merge_requests", 5, body, author="jdoe")
    assert (await bot.gitlab("Note Hook", note)).status_code == 202
    await bot.run_jobs()
    [answer] = [n["body"] for n in emulators.gitlab.notes(WEB, "merge_requests", 5) if n["author"] == "opsbot"]
    assert answer.startswith("🧪 Dry run: would deploy `web` `header` (`ddddddd`) to `staging`; no approval needed.")
    await nothing_was_created(bot, emulators, "web", GitLabThread(WEB, 5, "merge_request"))
    [entry] = await RedisAuditLog(bot.runtime.redis).recent(1)
    assert (entry.action, entry.actor.handle, entry.detail) == (
        "deploy.dry_run", "gitlab:jdoe", "would deploy header (ddddddd); no approval needed"
    )  # fmt: skip


async def test_after_a_dry_run_the_real_deploy_goes_ahead(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to staging --dry-run")
    await slack(bot, "deploy api to staging")
    [deployment] = emulators.github.deployments(API)
    assert deployment["ref"] == MAIN_SHA
    dry, real = slack_answers(emulators)
    assert dry["text"].startswith("🧪 Dry run:")
    assert "⏳ queued" in real["text"]
