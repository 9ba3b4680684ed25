"""The CD templates in deploy/cd/ fit opsbot as the code has it, not as a copy of it says.

GitHub Actions (``github-deploy.yml``): valid by the published workflow schema (SchemaStore's,
what editors and actionlint-style checkers use); triggered by ``deployment`` only; asking for
no permission beyond the two it uses; reading the payload key and fields opsbot writes
(``bot.deploys.records``, the code the GitHub client builds its payload with); posting only
states GitHub takes and opsbot relays and shows (``handlers.github``, ``SHOWN_STATES``); the
failure carrying the run's URL; and no outside text ever spliced into a script. GitLab
(``gitlab-ci.yml``): its rule reads exactly the variables opsbot sets on its pipelines
(``bot.deploys.records`` again), its environment is the one opsbot named, and its script takes
the variables as data. Running the templates against the emulators is
``test_cd_templates_run``.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from bot.conversation.addressed import Ignored
from bot.deploys.commands import SHOWN_STATES
from bot.deploys.deploying import TERMINAL
from bot.deploys.model import NewDeployment
from bot.deploys.records import (
    ENVIRONMENT_VARIABLE,
    PAYLOAD_KEY,
    SERVICE_VARIABLE,
    deployment_payload,
    pipeline_variables,
)
from bot.deploys.status_report import DeployStatusReport
from bot.model import Person, SlackThread
from handlers.github import deployment_status_job
from handlers.github_events import DeploymentStatusEvent, parse_event
from tests import fixtures
from tests.deploy.actions_runner import (
    EXPRESSION,
    condition,
    evaluate,
    interpolate,
    load_workflow,
    run_job,
    runner_environment,
)
from tests.deploy.common import DEPLOY
from tests.deploy.gitlab_ci import expand, rule_matches, variables_in

WORKFLOW = DEPLOY / "cd" / "github-deploy.yml"
GITLAB_FRAGMENT = DEPLOY / "cd" / "gitlab-ci.yml"
SPEC = fixtures.FIXTURES.parent / "specs" / "github-rest.json"  # GitHub's OpenAPI request schemas
STATUSES_PATH = "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
POSTED_STATE = re.compile(r"\bstate=([a-z_]+)")
PAYLOAD_PATH = re.compile(r"github\.event\.deployment\.payload((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
HOSTILE = ["$(touch pwned)", "`touch pwned`", '"; touch pwned; "', "a b", "$HOME", "--help", "'", "\\", "*"]


def workflow() -> dict[str, Any]:
    return load_workflow(WORKFLOW)


def the_job() -> dict[str, Any]:
    [job] = workflow()["jobs"].values()
    return dict(job)


def step(name: str) -> dict[str, Any]:
    [found] = [s for s in the_job()["steps"] if s.get("name") == name]
    return dict(found)


def scripts() -> list[str]:
    return [s["run"] for s in the_job()["steps"] if "run" in s]


def stand_in_deploy(workdir: Path, exit_code: int = 0) -> Path:
    """The team's deploy script: notes what it was asked to deploy (in the file returned), and
    succeeds or fails."""
    script = workdir / "deploy.sh"
    script.write_text(f'#!/bin/bash\nprintf "%s\\0" "$@" > asked\nexit {exit_code}\n')
    script.chmod(0o755)
    record = workdir / "asked"
    record.unlink(missing_ok=True)
    return record


def asked_for(record: Path) -> list[str]:
    return [arg.decode() for arg in record.read_bytes().split(b"\0")[:-1]]


def new_deployment(service: str = "api", environment: str = "staging", ref: str = "main") -> NewDeployment:
    return NewDeployment(
        repo="acme/api",
        ref=ref,
        sha="a" * 40,
        environment=environment,
        service=service,
        requester=Person("slack", "U_ALICE"),
        protected=environment == "production",
        report_to=SlackThread("C_OPS"),
    )


def github_context(deployment: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": {"action": "created", "deployment": deployment},
        "server_url": "https://github.com",
        "api_url": "http://127.0.0.1:9",
        "repository": "acme/api",
        "run_id": 4242,
        "token": "t",
        "event_name": "deployment",
    }


def deployment_of(new: NewDeployment, ident: int = 7) -> dict[str, Any]:
    """A deployment as GitHub sends it in the event, carrying the payload opsbot's code builds."""
    return {
        "id": ident,
        "sha": new.sha,
        "ref": new.sha,
        "environment": new.environment,
        "payload": deployment_payload(new),
    }


def events_of(on: Any) -> set[str]:
    if isinstance(on, str):
        return {on}
    return set(on)


# -- GitHub Actions --------------------------------------------------------------------------


def test_the_workflow_is_valid_by_the_published_schema() -> None:
    validator = Draft7Validator(fixtures.load("schemastore/github-workflow.json"))
    assert not [error.message for error in validator.iter_errors(workflow())]
    # The schema does reject a broken workflow: a job with neither runs-on nor uses.
    broken = workflow()
    del broken["jobs"]["deploy"]["runs-on"]
    assert not validator.is_valid(broken)


def test_it_runs_on_deployment_events_only() -> None:
    assert events_of(workflow()["on"]) == {"deployment"}


def test_it_asks_for_the_two_permissions_it_uses_and_no_more() -> None:
    assert workflow()["permissions"] == {"contents": "read", "deployments": "write"}
    assert "permissions" not in the_job()  # nothing widened per job


def test_it_acts_only_on_deployments_that_carry_opsbots_payload() -> None:
    job, opsbot = the_job(), deployment_of(new_deployment())
    assert condition(job["if"], {"github": github_context(opsbot)}, "success", step=False)
    others: list[Any] = [{}, {"other-tool": {"service": "api"}}, "a string payload", None, {PAYLOAD_KEY: {}}]
    for payload in others:
        someone_elses = dict(opsbot, payload=payload)
        assert not condition(job["if"], {"github": github_context(someone_elses)}, "success", step=False)


def test_each_payload_field_it_reads_is_one_opsbot_writes() -> None:
    paths = {found.group(1) for found in PAYLOAD_PATH.finditer(WORKFLOW.read_text(encoding="utf-8"))}
    assert paths, "the workflow reads nothing from the payload"
    written = deployment_payload(new_deployment())
    for path in sorted(paths):
        key, *_ = path.strip(".").split(".")
        assert key == PAYLOAD_KEY
        value = evaluate(f"github.event.deployment.payload{path}", {"github": github_context({"payload": written})})
        assert value not in (None, ""), f"payload{path} is not among what opsbot writes: {written}"


def test_service_environment_and_commit_reach_the_deploy_from_the_deployment() -> None:
    new = new_deployment("api", "production", "v2")
    env = {
        name: interpolate(value, {"github": github_context(deployment_of(new))})
        for name, value in the_job()["env"].items()
    }
    assert (env["SERVICE"], env["ENVIRONMENT"], env["SHA"], env["REF"]) == ("api", "production", new.sha, "v2")
    checkout = next(s for s in the_job()["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ github.event.deployment.sha }}"


def test_each_state_it_posts_is_one_github_takes_and_opsbot_relays_and_shows() -> None:
    posted = {state for script in scripts() for state in POSTED_STATE.findall(script)}
    assert "in_progress" in posted
    assert posted & TERMINAL, "it never posts an end"
    taken = json.loads(SPEC.read_text())["paths"][STATUSES_PATH]["post"]["requestBody"]["content"]
    assert posted <= set(taken["application/json"]["schema"]["properties"]["state"]["enum"])
    assert posted <= set(SHOWN_STATES)
    for state in sorted(posted):
        event = copy.deepcopy(fixtures.load("github/deployment_status.created.json"))
        event["deployment"]["payload"] = deployment_payload(new_deployment())
        event["deployment_status"].update(state=state, log_url="https://github.com/acme/api/actions/runs/1")
        parsed = parse_event("deployment_status", json.dumps(event).encode())
        assert isinstance(parsed, DeploymentStatusEvent)
        job = deployment_status_job(parsed)
        assert not isinstance(job, Ignored), f"opsbot ignores a {state} status"
        assert job.kind == DeployStatusReport.KIND
        report = DeployStatusReport.from_json(job.payload)
        assert (report.status, report.url) == (state, "https://github.com/acme/api/actions/runs/1")


def test_every_outcome_ends_in_a_final_state_and_a_failure_links_the_run(tmp_path: Path) -> None:
    """The reporting steps alone, with the status post replaced by a recording of its body."""
    context = github_context(deployment_of(new_deployment()))
    curl = tmp_path / "bin" / "curl"
    curl.parent.mkdir()
    curl.write_text('#!/bin/bash\nwhile [ "$1" != -d ]; do shift; done\nprintf "%s\\n" "$2" >> "$HOME/posted"\n')
    curl.chmod(0o755)
    env = runner_environment(context, tmp_path) | {"PATH": f"{curl.parent}:/usr/bin:/bin"}
    ends = {}
    for outcome, fail, cancel in (("success", False, None), ("failure", True, None), ("cancelled", False, "Deploy")):
        stand_in_deploy(tmp_path, int(fail))
        (tmp_path / "posted").unlink(missing_ok=True)
        run = run_job(the_job(), context, workdir=tmp_path, runner_env=env, cancel_at=cancel)
        assert run.status == outcome, run.logs
        bodies = [json.loads(line) for line in (tmp_path / "posted").read_text().splitlines()]
        assert bodies[0]["state"] == "in_progress"
        assert all(body["log_url"] == "https://github.com/acme/api/actions/runs/4242" for body in bodies)
        ends[outcome] = bodies[-1]["state"]
    assert set(ends.values()) <= TERMINAL
    assert ends["success"] == "success"
    assert ends["failure"] == "failure"
    assert ends["cancelled"] in {"error", "failure"}


def test_no_script_splices_an_expression_in() -> None:
    """GitHub's script-injection advice: `${{ }}` in a run: script is pasted in as shell text."""
    for script in scripts():
        assert not EXPRESSION.search(script), script
    # and the values that come from the event are handed over in env: instead
    job_env = the_job()["env"]
    assert any("github.event.deployment" in str(value) for value in job_env.values())


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(service=st.sampled_from(HOSTILE) | st.text(min_size=1, max_size=20), environment=st.sampled_from(HOSTILE))
def test_outside_text_reaches_the_deploy_script_as_data(tmp_path: Path, service: str, environment: str) -> None:
    service = service.replace("\x00", "")  # no environment variable can hold a NUL
    if not service:
        return
    new = new_deployment(service, environment)
    context = github_context(deployment_of(new))
    record = stand_in_deploy(tmp_path)
    (tmp_path / "pwned").unlink(missing_ok=True)
    only_the_deploy = {"env": the_job()["env"], "steps": [step("Deploy")]}
    run = run_job(only_the_deploy, context, workdir=tmp_path, runner_env=runner_environment(context, tmp_path))
    assert run.status == "success", run.logs
    assert asked_for(record) == [service, environment, new.sha]
    assert not (tmp_path / "pwned").exists()


def test_one_run_at_a_time_per_service_and_environment() -> None:
    concurrency = the_job()["concurrency"]
    assert concurrency["cancel-in-progress"] is False  # a deploy half done is not cut off by the next

    def group(service: str, environment: str) -> str:
        return interpolate(
            concurrency["group"], {"github": github_context(deployment_of(new_deployment(service, environment)))}
        )

    assert group("api", "staging") == group("api", "staging")
    assert group("api", "staging") != group("api", "production")
    assert group("api", "staging") != group("web", "staging")


# -- GitLab CI --------------------------------------------------------------------------------


def gitlab_job() -> dict[str, Any]:
    fragment = yaml.safe_load(GITLAB_FRAGMENT.read_text(encoding="utf-8"))
    jobs = {name: job for name, job in fragment.items() if isinstance(job, dict) and "script" in job}
    assert len(jobs) == 1, f"one deploy job, found {sorted(jobs)}"
    [job] = jobs.values()
    return dict(job)


def test_the_gitlab_job_runs_exactly_in_opsbots_pipelines() -> None:
    [rule] = gitlab_job()["rules"]
    set_by_opsbot = pipeline_variables(new_deployment())
    read = variables_in(rule["if"])
    assert {SERVICE_VARIABLE, ENVIRONMENT_VARIABLE} <= read <= set(set_by_opsbot)
    assert rule_matches(rule["if"], set_by_opsbot)
    a_push = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
    assert not rule_matches(rule["if"], a_push)
    for name in read:  # each variable it reads is needed: a pipeline without it is not opsbot's
        assert not rule_matches(rule["if"], {k: v for k, v in set_by_opsbot.items() if k != name} | a_push)
        assert not rule_matches(rule["if"], set_by_opsbot | {name: ""})


def test_every_opsbot_variable_it_names_is_one_opsbot_sets() -> None:
    named = {name for name in variables_in(GITLAB_FRAGMENT.read_text(encoding="utf-8")) if name.startswith("OPSBOT_")}
    assert named <= set(pipeline_variables(new_deployment()))
    assert named


def test_the_gitlab_job_deploys_in_the_environment_opsbot_named() -> None:
    job = gitlab_job()
    assert job["environment"]["name"] == f"${ENVIRONMENT_VARIABLE}"
    variables = pipeline_variables(new_deployment("web", "production"))
    assert expand(job["environment"]["name"], variables) == "production"
    # one at a time per service and environment
    assert expand(job["resource_group"], variables) != expand(
        job["resource_group"], pipeline_variables(new_deployment("web", "staging"))
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_the_gitlab_script_takes_opsbots_variables_as_data(tmp_path: Path, value: str) -> None:
    record = stand_in_deploy(tmp_path)
    variables = pipeline_variables(new_deployment(value, value))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(gitlab_job()["script"])],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CI_COMMIT_SHA": "a" * 40, **variables},
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert asked_for(record) == [value, value, "a" * 40]
    assert not (tmp_path / "pwned").exists()
