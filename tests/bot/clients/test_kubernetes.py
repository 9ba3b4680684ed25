"""The Kubernetes adapter through the official client, over HTTP to the emulator: shapes, errors, RBAC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clients.kubernetes import RBAC_RULES, KubernetesCluster, configuration
from bot.config import OpsConfig, Service, Workload
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.investigation.cluster_status import ClusterStatus
from bot.model import ChatMessage, ConsoleThread, Person
from tests.emulators.kubernetes import KubernetesEmulator
from tests.emulators.kubernetes_scenarios import crash_loop, healthy, pending_and_pulling
from tests.redis_server import free_port

CONFIG = OpsConfig(
    services={"api": Service("api", ("staging",), kubernetes={"staging": Workload("api-staging", "api")})}
)
ASKED = ChatMessage("m1", Person("console", "U1"), ConsoleThread("C1"), "why?", "mention")
STAGING = {"service": "api", "environment": "staging"}
# How the API server names what a request does: (method, path) → (group, resource, verb).
REQUEST_INFO = (
    (re.compile(r"^/apis/apps/v1/namespaces/[^/]+/deployments/[^/]+$"), ("apps", "deployments", "get")),
    (re.compile(r"^/apis/apps/v1/namespaces/[^/]+/replicasets$"), ("apps", "replicasets", "list")),
    (re.compile(r"^/api/v1/namespaces/[^/]+/pods$"), ("", "pods", "list")),
    (re.compile(r"^/api/v1/namespaces/[^/]+/pods/[^/]+/log$"), ("", "pods/log", "get")),
    (re.compile(r"^/api/v1/namespaces/[^/]+/events$"), ("", "events", "list")),
)
GRANTED = {(group, resource, verb) for group, resource, verbs in RBAC_RULES for verb in verbs}


@pytest.fixture(scope="module")
def served() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator() as k8s:
        yield k8s


@pytest.fixture
def k8s(served: KubernetesEmulator) -> KubernetesEmulator:
    served.reset()
    return served


def look(k8s: KubernetesEmulator, tmp_path: Path, token: str | None = None) -> ClusterStatus:
    path = k8s.kubeconfig(tmp_path / "kubeconfig")
    if token is not None:
        path.write_text(path.read_text().replace(k8s.token, token))
    found = configuration(str(path), env={})
    assert found is not None
    return ClusterStatus(KubernetesCluster(found), CONFIG)


def rule_of(method: str, path: str) -> tuple[str, str, str]:
    assert method == "GET", "cluster_status only reads"
    (found,) = [rule for pattern, rule in REQUEST_INFO if pattern.match(path.split("?")[0])]
    return found


async def test_a_healthy_rollout(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    healthy(k8s)
    text = await look(k8s, tmp_path).run(ASKED, STAGING)
    assert "Rollout: complete" in text
    assert "3/3 ready" in text
    assert "All pods ready." in text


async def test_a_crash_loop_with_its_previous_log_redacted(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    crash_loop(k8s)
    status = look(k8s, tmp_path)
    text = await status.run(ASKED, STAGING)
    assert "stuck: progress deadline exceeded" in text
    assert "1 pod CrashLoopBackOff (app) — last exit OOMKilled (137)" in text
    assert "1 pod CrashLoopBackOff (app) — last exit Error (1)" in text
    assert "Pods not ready (2 of 3)" in text, "the stray pod of another owner is not counted"
    assert "BackOff on Pod/api-7d9-crash (×40)" in text
    assert "unrelated-1" not in text
    assert "Hint: the worst pod is api-7d9-oom" in text
    logged = await status.run(ASKED, {**STAGING, "pod": "api-7d9-crash"})
    assert "previous run" in logged
    assert "panic: db down" in logged
    assert "hunter2" not in logged
    (log_request,) = k8s.requests_to("GET", "/log$")
    assert log_request.query["previous"] == "true"
    assert int(log_request.query["tailLines"]) == 40


async def test_pending_and_image_pull_reasons(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    pending_and_pulling(k8s)
    text = await look(k8s, tmp_path).run(ASKED, STAGING)
    assert "Pending: Unschedulable — 0/3 nodes are available: 3 Insufficient memory." in text
    assert "ImagePullBackOff (app)" in text
    assert "ghcr.io/acme/api:9.9" in text


async def test_the_calls_made_are_exactly_the_rbac_rules(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    crash_loop(k8s)
    k8s.allowed = set(GRANTED)  # the emulator refuses anything else, as the API server would
    status = look(k8s, tmp_path)
    await status.run(ASKED, STAGING)
    await status.run(ASKED, {**STAGING, "pod": "api-7d9-crash"})
    assert {r.status for r in k8s.requests} == {200}
    assert {rule_of(r.method, r.path) for r in k8s.requests} == GRANTED


async def test_a_missing_permission_is_named(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    healthy(k8s)
    k8s.allowed = GRANTED - {("", "pods", "list")}
    with pytest.raises(UpstreamRejected, match="may not list Pods in namespace api-staging") as refused:
        await look(k8s, tmp_path).run(ASKED, STAGING)
    assert refused.value.status == 403


async def test_a_wrong_token_and_a_missing_deployment(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    with pytest.raises(UpstreamRejected, match="no Deployment api in namespace api-staging"):
        await look(k8s, tmp_path).run(ASKED, STAGING)
    healthy(k8s)
    with pytest.raises(UpstreamRejected, match="credentials were refused") as refused:
        await look(k8s, tmp_path, token="wrong").run(ASKED, STAGING)
    assert "wrong" not in str(refused.value)


async def test_an_api_that_fails_or_is_down_is_unavailable(k8s: KubernetesEmulator, tmp_path: Path) -> None:
    healthy(k8s)
    k8s.fail_next("GET", "/deployments/", 503, times=10)
    with pytest.raises(UpstreamUnavailable, match="503"):
        await look(k8s, tmp_path).run(ASKED, STAGING)
    path = tmp_path / "down"
    path.write_text(k8s.kubeconfig(tmp_path / "k").read_text().replace(k8s.url, f"http://127.0.0.1:{free_port()}"))
    found = configuration(str(path), env={})
    assert found is not None
    with pytest.raises(UpstreamUnavailable, match="did not answer"):
        await ClusterStatus(KubernetesCluster(found), CONFIG).run(ASKED, STAGING)


def test_no_kubeconfig_and_not_in_a_pod_is_no_configuration(tmp_path: Path) -> None:
    assert configuration(str(tmp_path / "missing"), env={}) is None
