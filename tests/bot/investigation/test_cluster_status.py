"""cluster_status on a fake cluster: the workload from ops.yaml, the summary's words, refusals and bounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import OpsConfig, Service, Workload
from bot.errors import CommandError, UpstreamRejected
from bot.investigation.cluster import ClusterEvent, Condition, ContainerState, DeploymentState, PodState
from bot.investigation.cluster_status import ClusterStatus
from bot.investigation.cluster_summary import summary
from bot.investigation.looks import RESULT_LIMIT
from bot.model import ChatMessage, ConsoleThread, Person

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
CONFIG = OpsConfig(
    services={
        "api": Service("api", ("staging", "production"), kubernetes={"staging": Workload("api-staging", "api")}),
        "billing": Service("billing", ("staging",)),
    }
)


def asked() -> ChatMessage:
    return ChatMessage("m1", Person("console", "U1"), ConsoleThread("C1"), "why is api down?", "mention")


def healthy(**changes: object) -> DeploymentState:
    base: dict[str, object] = dict(
        name="api", namespace="api-staging", generation=2, observed_generation=2, desired=3, replicas=3,
        updated=3, ready=3, available=3, selector={"app": "api"},
        conditions=(Condition("Progressing", "True", "NewReplicaSetAvailable"), Condition("Available", "True")),
    )  # fmt: skip
    base.update(changes)
    return DeploymentState(**base)  # type: ignore[arg-type]


def running(name: str, owner: str = "api-7d9") -> PodState:
    return PodState(name, "Running", True, owner, (ContainerState("app", True),))


def crash_looping(name: str, owner: str = "api-7d9", last: str = "Error", code: int = 1) -> PodState:
    container = ContainerState("app", False, 7, "CrashLoopBackOff", "back-off 5m0s", "", last, code)
    return PodState(name, "Running", False, owner, (container,))


@dataclass
class FakeCluster:
    deployment_state: DeploymentState = field(default_factory=healthy)
    owned: frozenset[str] = frozenset({"api-7d9"})
    pod_states: tuple[PodState, ...] = ()
    events: tuple[ClusterEvent, ...] = ()
    logs: dict[tuple[str, str, bool], str] = field(default_factory=dict)
    read: list[tuple[str, str, bool]] = field(default_factory=list)

    async def deployment(self, namespace: str, name: str) -> DeploymentState:
        return self.deployment_state

    async def replica_sets(self, namespace: str, deployment: str, selector: Mapping[str, str]) -> frozenset[str]:
        return self.owned

    async def pods(self, namespace: str, selector: Mapping[str, str]) -> tuple[PodState, ...]:
        return self.pod_states

    async def warnings(self, namespace: str) -> tuple[ClusterEvent, ...]:
        return self.events

    async def pod_log(self, namespace: str, pod: str, container: str, *, previous: bool, lines: int) -> str:
        self.read.append((pod, container, previous))
        if (pod, container, previous) not in self.logs:
            raise UpstreamRejected("the Kubernetes API", "no previous log", status=400)
        return self.logs[(pod, container, previous)]


async def test_a_healthy_rollout_is_complete_with_its_replicas() -> None:
    cluster = FakeCluster(pod_states=tuple(running(f"api-7d9-{i}") for i in range(3)))
    text = await ClusterStatus(cluster, CONFIG).run(asked(), {"service": "api", "environment": "staging"})
    assert "Rollout: complete" in text
    assert "3/3 ready" in text
    assert "All pods ready." in text
    assert "No warning events." in text


async def test_crash_looping_pods_are_grouped_and_the_worst_is_named() -> None:
    pods = (running("api-7d9-a"), *(crash_looping(f"api-7d9-c{i}") for i in range(7)))
    pods += (crash_looping("api-7d9-oom", last="OOMKilled", code=137),)
    cluster = FakeCluster(deployment_state=healthy(ready=1, available=1), pod_states=pods)
    text = await ClusterStatus(cluster, CONFIG).run(asked(), {"service": "api", "environment": "staging"})
    assert "Pods not ready (8 of 9)" in text
    assert "7 pods CrashLoopBackOff (app) — last exit Error (1)" in text
    assert "and 4 more" in text
    assert "last exit OOMKilled (137)" in text
    assert "Hint: the worst pod is api-7d9-oom" in text


async def test_a_stuck_rollout_says_the_deadline_passed() -> None:
    stuck = healthy(
        updated=1,
        conditions=(Condition("Progressing", "False", "ProgressDeadlineExceeded", 'ReplicaSet "api-8f" timed out'),),
    )
    text = summary(stuck, (), ())
    assert "stuck: progress deadline exceeded" in text
    assert "api-8f" in text


def test_rollout_words_follow_kubectl() -> None:
    assert "paused" in summary(healthy(paused=True), (), ())
    assert "not yet seen" in summary(healthy(observed_generation=1), (), ())
    assert "1 of 3 new replicas updated" in summary(healthy(updated=1), (), ())
    assert "2 old replicas pending termination" in summary(healthy(replicas=5), (), ())
    assert "2 of 3 updated replicas available" in summary(healthy(available=2), (), ())


def test_an_unschedulable_pod_says_why() -> None:
    pending = PodState(
        "api-7d9-p", "Pending", False, "api-7d9", (),
        (Condition("PodScheduled", "False", "Unschedulable", "0/3 nodes are available: 3 Insufficient memory."),),
    )  # fmt: skip
    text = summary(healthy(ready=2), (pending,), ())
    assert "1 pod Pending: Unschedulable — 0/3 nodes are available: 3 Insufficient memory." in text


def test_warning_events_are_merged_newest_first() -> None:
    events = (
        ClusterEvent("Pod", "api-7d9-a", "BackOff", "Back-off restarting failed container", 5, NOW),
        ClusterEvent("Pod", "api-7d9-b", "BackOff", "Back-off restarting failed container", 3, NOW),
        ClusterEvent("Pod", "api-7d9-a", "Failed", "Error: ImagePullBackOff", 1, NOW - timedelta(hours=1)),
    )
    text = summary(healthy(), (), events)
    backoff, failed = text.index("BackOff on Pod/api-7d9-a and 1 more (×8)"), text.index("Failed on Pod")
    assert backoff < failed


async def test_the_log_of_a_crash_looping_pod_is_its_previous_run_redacted_and_cleaned() -> None:
    log = "starting\n\x1b[31mpanic: db password=hunter2-S3cr3t\x1b[0m\n" + "".join(f"line {i}\n" for i in range(100))
    cluster = FakeCluster(pod_states=(crash_looping("api-7d9-c"),), logs={("api-7d9-c", "app", True): log})
    text = await ClusterStatus(cluster, CONFIG).run(
        asked(), {"service": "api", "environment": "staging", "pod": "api-7d9-c"}
    )
    assert cluster.read == [("api-7d9-c", "app", True)]
    assert "previous run" in text
    assert "line 99" in text
    assert "hunter2" not in text
    assert "\x1b" not in text


async def test_without_a_previous_log_the_current_one_is_read() -> None:
    cluster = FakeCluster(pod_states=(crash_looping("api-7d9-c"),), logs={("api-7d9-c", "app", False): "now\n"})
    text = await ClusterStatus(cluster, CONFIG).run(
        asked(), {"service": "api", "environment": "staging", "pod": "api-7d9-c"}
    )
    assert cluster.read == [("api-7d9-c", "app", True), ("api-7d9-c", "app", False)]
    assert "current run" in text


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"service": "web", "environment": "staging"}, "not a service of ops.yaml"),
        ({"service": "api", "environment": "production"}, "no Kubernetes workload for api in 'production'"),
        ({"service": "billing", "environment": "staging"}, "no Kubernetes workload for billing"),
        ({"service": "api"}, "environment must be a name"),
        ({"service": "api", "environment": "staging", "pod": "kube-apiserver"}, "is not a pod of Deployment api"),
        ({"service": "api", "environment": "staging", "url": "http://x"}, "unknown input"),
    ],
)
async def test_refusals_are_plain(given: dict[str, object], words: str) -> None:
    cluster = FakeCluster(pod_states=(running("api-7d9-a"), running("other-1", owner="other")))
    with pytest.raises(CommandError, match=words):
        await ClusterStatus(cluster, CONFIG).run(asked(), given)
    assert not cluster.read


async def test_a_pod_matching_the_selector_but_owned_by_another_is_not_read() -> None:
    cluster = FakeCluster(pod_states=(running("stray", owner="not-ours"),), logs={("stray", "app", False): "x"})
    with pytest.raises(CommandError, match="is not a pod of Deployment"):
        await ClusterStatus(cluster, CONFIG).run(asked(), {"service": "api", "environment": "staging", "pod": "stray"})


names = st.text(min_size=1, max_size=300)
containers = st.builds(
    ContainerState, names, st.booleans(), st.integers(0, 10**6), names, st.text(max_size=2000), names, names,
    st.none() | st.integers(-(2**31), 2**31),
)  # fmt: skip
conditions = st.builds(Condition, names, st.sampled_from(["True", "False", "Unknown"]), names, st.text(max_size=2000))
pods = st.builds(
    PodState, names, st.sampled_from(["Pending", "Running", "Failed", "Succeeded", "Unknown"]), st.booleans(),
    st.none() | names, st.lists(containers, max_size=4).map(tuple), st.lists(conditions, max_size=3).map(tuple),
)  # fmt: skip
events = st.builds(
    ClusterEvent, st.sampled_from(["Pod", "ReplicaSet", "Deployment"]), names, names, st.text(max_size=3000),
    st.integers(0, 10**6), st.none() | st.datetimes(timezones=st.just(UTC)),
)  # fmt: skip


@given(
    st.lists(pods, max_size=60),
    st.lists(events, max_size=60),
    st.none() | st.text(max_size=20_000),
)
def test_any_pods_events_and_log_give_a_bounded_summary(
    pods: list[PodState], events: list[ClusterEvent], log: str | None
) -> None:
    text = summary(healthy(), pods, events, None if log is None else ("p", "c", True, log))
    assert len(text) <= RESULT_LIMIT
    assert text.startswith("Deployment api in namespace api-staging")
