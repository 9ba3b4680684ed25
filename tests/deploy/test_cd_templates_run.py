"""The CD templates at work: opsbot asks, the template deploys and reports, opsbot shows it.

A deploy asked in Slack makes the real bot create its GitHub Deployment (or GitLab pipeline) in
the emulator. The workflow's job then runs as a runner would run it (tests/deploy/actions_runner.py):
its scripts under bash, its status posts by curl to the GitHub emulator with the run's token, a
stand-in ``deploy.sh`` in place of the team's. The statuses the emulator then holds go back to
opsbot as the ``deployment_status`` webhooks GitHub would send, and the Slack thread shows them.
For GitLab the job's rule and script are read against the variables opsbot really sent, and the
Deployment hook GitLab would send for its environment comes back.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import httpx

from tests import fixtures
from tests.deploy.actions_runner import JobRun, load_workflow, run_job, runner_environment
from tests.deploy.gitlab_ci import expand, rule_matches
from tests.deploy.test_cd_templates import WORKFLOW, asked_for, gitlab_job, stand_in_deploy
from tests.harness import BotUnderTest, Emulators
from tests.test_deploys_end_to_end import API, MAIN_SHA, WEB, setup_forges, slack, slack_answers

SERVER_URL = "https://github.com"
RUN_ID = 4242
RUN_URL = f"{SERVER_URL}/{API}/actions/runs/{RUN_ID}"


def github_api(emulators: Emulators) -> httpx.Client:
    return httpx.Client(base_url=emulators.github.url, headers={"authorization": f"Bearer {emulators.github.token}"})


def rest_deployment(emulators: Emulators, ident: int) -> dict[str, Any]:
    with github_api(emulators) as api:
        found: dict[str, Any] = api.get(f"/repos/{API}/deployments/{ident}").raise_for_status().json()
    return found


def rest_statuses(emulators: Emulators, ident: int) -> list[dict[str, Any]]:
    """The deployment's statuses as GitHub's API gives them, oldest first."""
    with github_api(emulators) as api:
        newest_first: list[dict[str, Any]] = api.get(f"/repos/{API}/deployments/{ident}/statuses").json()
    return newest_first[::-1]


def deployment_event(deployment: dict[str, Any]) -> dict[str, Any]:
    """GitHub's ``deployment`` event (the published example) for the deployment the API shows."""
    event: dict[str, Any] = copy.deepcopy(fixtures.load("github/deployment.created.json"))
    for key in ("id", "sha", "ref", "environment", "payload", "description", "production_environment"):
        event["deployment"][key] = deployment[key]
    event["repository"]["full_name"] = API
    return event


def status_event(deployment: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """GitHub's ``deployment_status`` event (the published example) for one status the API holds."""
    event: dict[str, Any] = copy.deepcopy(fixtures.load("github/deployment_status.created.json"))
    for key in ("id", "sha", "ref", "environment", "payload"):
        event["deployment"][key] = deployment[key]
    for key in ("id", "state", "description", "environment", "target_url", "log_url", "environment_url"):
        event["deployment_status"][key] = status[key]
    event["repository"]["full_name"] = API
    return event


async def run_workflow(
    emulators: Emulators, ident: int, workdir: Path, *, exit_code: int = 0, cancel_at: str | None = None
) -> JobRun:
    [job] = load_workflow(WORKFLOW)["jobs"].values()
    github = {
        "event": deployment_event(rest_deployment(emulators, ident)),
        "event_name": "deployment",
        "server_url": SERVER_URL,
        "api_url": emulators.github.url,
        "repository": API,
        "run_id": RUN_ID,
        "token": emulators.github.token,
    }
    stand_in_deploy(workdir, exit_code)
    env = runner_environment(github, workdir)
    return await asyncio.to_thread(run_job, job, github, workdir=workdir, runner_env=env, cancel_at=cancel_at)


async def relay_statuses(bot: BotUnderTest, emulators: Emulators, ident: int) -> list[str]:
    """Send opsbot each status the workflow posted, as GitHub would; the states, in order."""
    deployment, statuses = rest_deployment(emulators, ident), rest_statuses(emulators, ident)
    for status in statuses:
        assert (await bot.github("deployment_status", status_event(deployment, status))).status_code == 202
    await bot.run_jobs()
    return [status["state"] for status in statuses]


async def deploy_from_slack(bot: BotUnderTest, emulators: Emulators, text: str = "deploy api to staging") -> int:
    await slack(bot, text)
    ident: int = emulators.github.deployments(API)[-1]["id"]
    return ident


async def test_a_deploy_asked_in_slack_is_run_by_the_workflow_and_comes_back_live(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    ident = await deploy_from_slack(bot, emulators)
    run = await run_workflow(emulators, ident, tmp_path)
    assert run.status == "success", run.logs
    assert asked_for(tmp_path / "asked") == ["api", "staging", MAIN_SHA]
    assert run.inputs["Check out the commit opsbot deploys"]["ref"] == MAIN_SHA
    # The statuses went in with the run's token, to the deployment opsbot created.
    posts = emulators.github.requests_to("POST", rf"^/repos/{API}/deployments/{ident}/statuses$")
    assert {post.headers["authorization"] for post in posts} == {f"Bearer {emulators.github.token}"}
    assert await relay_statuses(bot, emulators, ident) == ["in_progress", "success"]
    assert all(status["log_url"] == RUN_URL for status in rest_statuses(emulators, ident))
    status, done = slack_answers(emulators)
    assert "✅ live" in status["text"]
    assert f"<{RUN_URL}|details>" in status["text"]  # the run, linked from the status message
    assert done["text"] == "✅ `api` `main` is live on `staging`."


async def test_a_failing_deploy_reports_failure_with_the_run_and_frees_the_environment(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    ident = await deploy_from_slack(bot, emulators)
    run = await run_workflow(emulators, ident, tmp_path, exit_code=1)
    assert run.status == "failure"
    assert "Tell opsbot how it went" in run.steps_run
    assert await relay_statuses(bot, emulators, ident) == ["in_progress", "failure"]
    status, done = slack_answers(emulators)
    assert "❌ failed" in status["text"]
    assert f"<{RUN_URL}|details>" in status["text"]
    assert done["text"].startswith("❌ Deploy of `api` `main` to `staging` failed.")
    # The failure was final: the next deploy is not told one is still in flight.
    await slack(bot, "deploy api@v2 to staging")
    assert len(emulators.github.deployments(API)) == 2


async def test_a_run_cancelled_mid_deploy_ends_the_deploy_in_error(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    ident = await deploy_from_slack(bot, emulators)
    run = await run_workflow(emulators, ident, tmp_path, cancel_at="Deploy")
    assert run.status == "cancelled"
    assert not (tmp_path / "asked").exists()
    assert await relay_statuses(bot, emulators, ident) == ["in_progress", "error"]
    status, done = slack_answers(emulators)
    assert "❌ failed (error)" in status["text"]
    assert "failed" in done["text"]


async def test_a_status_post_that_meets_a_server_error_is_tried_again(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    ident = await deploy_from_slack(bot, emulators)
    emulators.github.fail_next("POST", rf"/deployments/{ident}/statuses$", 502)
    run = await run_workflow(emulators, ident, tmp_path)
    assert run.status == "success", run.logs
    assert [status["state"] for status in rest_statuses(emulators, ident)] == ["in_progress", "success"]


async def test_a_deployment_someone_else_created_is_left_alone(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    with github_api(emulators) as api:
        created = api.post(f"/repos/{API}/deployments", json={"ref": "main", "environment": "staging"})
    ident = created.raise_for_status().json()["id"]
    run = await run_workflow(emulators, ident, tmp_path)
    assert not run.ran
    assert rest_statuses(emulators, ident) == []
    assert not (tmp_path / "asked").exists()


async def test_a_gitlab_deploy_runs_the_job_in_the_environment_opsbot_named(
    bot: BotUnderTest, emulators: Emulators, tmp_path: Path
) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy web to staging")
    [pipeline] = emulators.gitlab.pipelines(WEB)
    variables = {variable["key"]: variable["value"] for variable in pipeline["variables"]}  # as opsbot sent them
    job = gitlab_job()
    [rule] = job["rules"]
    assert rule_matches(rule["if"], variables)
    asked = stand_in_deploy(tmp_path, 0)
    script = "\n".join(job["script"])
    done = await asyncio.create_subprocess_exec(
        "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CI_COMMIT_SHA": pipeline["sha"], **variables},
    )  # fmt: skip
    assert await done.wait() == 0
    assert asked_for(asked) == ["web", "staging", pipeline["sha"]]
    # GitLab's Deployment hook names the environment the job deployed in; opsbot finds its deploy by it.
    hook: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/deployment_hook.json"))
    hook["project"]["path_with_namespace"] = WEB
    hook.update(environment=expand(job["environment"]["name"], variables), short_sha=pipeline["sha"][:8])
    hook.update(status="success")
    assert (await bot.gitlab("Deployment Hook", hook)).status_code == 202
    await bot.run_jobs()
    status, done_message = slack_answers(emulators)
    assert "✅ live" in status["text"]
    assert done_message["text"] == "✅ `web` `main` is live on `staging`."
