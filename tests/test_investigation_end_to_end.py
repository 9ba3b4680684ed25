"""A whole investigation as people see it: "why is api slow since the deploy?" on a pull request.

The real app and worker, the Anthropic emulator playing the agent's turns, and the systems it
looks at: opsbot's own deploy records (two deploys of `api` to staging through the Slack
command), the GitHub emulator's compare API, a real Prometheus backfilled with six hours of
history in which api's latency steps up minutes after the second deploy, and the Kubernetes
emulator serving a crash-looping Deployment through the official client.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
import yaml

from bot.investigation.shown import utc_minute
from tests.emulators import text, tool_use
from tests.emulators.kubernetes import KubernetesEmulator
from tests.emulators.kubernetes_scenarios import crash_loop
from tests.harness import OPS_CONFIG, BotUnderTest, Emulators, bot_env, slash_command_body
from tests.metrics_scenario import LATENCY, Scenario, api_slow_after_deploy, backfilled_prometheus
from tests.test_agent_end_to_end import bot_comments, pr_comment
from tests.test_deploys_end_to_end import deployment_status

API = "acme/api"
QUESTION = "@opsbot why is api slow since the deploy?"


@pytest.fixture(scope="module")
def history() -> Iterator[tuple[Scenario, str]]:
    scenario = api_slow_after_deploy()
    with backfilled_prometheus(scenario) as url:
        yield scenario, url


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator() as k8s:
        yield k8s


@pytest.fixture
async def investigator(
    redis_url: str,
    redis_client: redis.Redis,
    emulators: Emulators,
    history: tuple[Scenario, str],
    cluster: KubernetesEmulator,
    tmp_path: Path,
) -> AsyncIterator[BotUnderTest]:
    config: dict[str, Any] = yaml.safe_load(OPS_CONFIG.read_text())
    config["services"]["api"]["kubernetes"] = {"staging": {"namespace": "api-staging", "deployment": "api"}}
    (ops_yaml := tmp_path / "ops.yaml").write_text(yaml.safe_dump(config))
    cluster.reset()
    crash_loop(cluster, "api-staging")
    env = bot_env(
        redis_url,
        emulators,
        agent=True,
        OPSBOT_AGENT_MAX_TURNS="5",
        OPSBOT_CONFIG=str(ops_yaml),
        PROMETHEUS_URL=history[1],
        KUBECONFIG=str(cluster.kubeconfig(tmp_path / "kubeconfig")),
    )
    emulators.github.add_repo(API, branches={"main": "a" * 40})
    emulators.github.set_permission(API, "octocat", "write")
    async with BotUnderTest(env) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


async def deploy_main_to_staging(bot: BotUnderTest, emulators: Emulators) -> None:
    await bot.slack(slash_command_body("deploy api to staging", user="U_ALICE"))
    await bot.run_jobs()
    deployment = emulators.github.deployments(API)[-1]
    for state in ("in_progress", "success"):  # each worked off before the next, as GitHub sends them
        await bot.github("deployment_status", deployment_status(deployment, state))
        await bot.run_jobs()


def results_by_tool(emulators: Emulators) -> dict[str, str]:
    """What each tool answered, as Claude was shown it (the tool_result blocks of the last request)."""
    body = emulators.anthropic.bodies()[-1]
    calls = {
        block["id"]: block["name"]
        for message in body["messages"]
        if message["role"] == "assistant"
        for block in message["content"]
        if block["type"] == "tool_use"
    }
    return {
        calls[block["tool_use_id"]]: str(block["content"])
        for message in body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block["type"] == "tool_result"
    }


async def test_why_is_api_slow_since_the_deploy(
    investigator: BotUnderTest, emulators: Emulators, history: tuple[Scenario, str]
) -> None:
    scenario, _ = history
    emulators.github.add_commits(API, [{"message": "Bootstrap checkout", "author": "dana"}])
    await deploy_main_to_staging(investigator, emulators)
    pool, cache = emulators.github.add_commits(
        API,
        [
            {"message": "Lower the db pool to 5 connections", "author": "erin",
             "files": [{"filename": "config/db.yaml", "status": "modified", "additions": 1, "deletions": 1}]},
            {"message": "Cache cart totals", "author": "frank",
             "files": [{"filename": "src/cart.py", "status": "modified", "additions": 30, "deletions": 4}]},
        ],
    )  # fmt: skip
    await deploy_main_to_staging(investigator, emulators)
    emulators.github.add_issue(API, 40, "Checkout is slow", pull=True)

    step_minute = utc_minute(scenario.step_at)
    answer = (
        f"**Summary**: api's p99 latency stepped up from about 0.12 s to 0.95 s at {step_minute}, five minutes "
        f"after the deploy of `{cache[:7]}`; that deploy included `{pool[:7]}` (Lower the db pool to 5 "
        "connections) and two api pods are crash-looping.\n"
        f"**Approach**: `what_changed` for api on staging showed `{pool[:7]}` and `{cache[:7]}`; `query_metrics` "
        f"showed the step at {step_minute}; `cluster_status` showed CrashLoopBackOff and OOMKilled pods.\n"
        "**Remember**: null"
    )
    emulators.anthropic.script(
        [
            tool_use("what_changed", {"service": "api", "environment": "staging"}),
            tool_use("query_metrics", {"query": f'{LATENCY}{{service="api"}}', "range_minutes": 180}),
            tool_use("cluster_status", {"service": "api", "environment": "staging"}),
            text(answer),
        ]
    )
    await investigator.github("issue_comment", pr_comment(emulators, "octocat", QUESTION, 40))
    await investigator.run_jobs()

    shown = results_by_tool(emulators)
    assert set(shown) == {"what_changed", "query_metrics", "cluster_status"}
    # What changed: the two commits of the second deploy, not the one already live before it.
    assert pool[:7] in shown["what_changed"]
    assert "Lower the db pool to 5 connections" in shown["what_changed"]
    assert cache[:7] in shown["what_changed"]
    assert "Bootstrap checkout" not in shown["what_changed"]
    # The metrics: a step up, at a time within one query step of when the latency really rose.
    jumps = re.findall(r"step up [^ ]+ at (\d{4}-\d\d-\d\dT\d\d:\d\dZ)", shown["query_metrics"])
    assert jumps, shown["query_metrics"]
    step = int(re.search(r"step (\d+)s", shown["query_metrics"]).group(1))  # type: ignore[union-attr]
    assert all(abs(_minutes(found) - scenario.step_at) <= step + 60 for found in jumps)
    # The cluster: the crash loop and the OOM kill, with the crashing pod's log redacted.
    assert "CrashLoopBackOff" in shown["cluster_status"]
    assert "OOMKilled" in shown["cluster_status"]
    assert "hunter2-S3cr3t" not in str(emulators.anthropic.bodies())

    [comment] = [c for c in bot_comments(emulators, 40) if c.startswith("**Summary**")]
    assert f"at {step_minute}" in comment
    assert f"`{pool[:7]}`" in comment
    assert "_Looked at: what changed of api · metrics · the pods of api_" in comment


def _minutes(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC).timestamp()
