"""The cluster as ``cluster_status`` sees it: a Deployment, its ReplicaSets and pods, warnings and a pod's log.

:class:`Cluster` answers in these plain values rather than in the Kubernetes client's models, so
the summary's rules are tested on fakes and the adapter (bot/clients/kubernetes.py) is the one
place that knows the API's shapes. Every call is a read; a missing object or a refused permission
is an :class:`bot.errors.UpstreamRejected`, an API that did not answer an
:class:`bot.errors.UpstreamUnavailable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

BACKEND = "the Kubernetes API"


@dataclass(frozen=True)
class Condition:
    type: str  # "Progressing", "Available", "PodScheduled", …
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class DeploymentState:
    name: str
    namespace: str
    generation: int
    observed_generation: int
    desired: int  # spec.replicas
    replicas: int = 0  # status.replicas: old and new pods
    updated: int = 0
    ready: int = 0
    available: int = 0
    paused: bool = False
    conditions: tuple[Condition, ...] = ()
    selector: Mapping[str, str] = field(default_factory=dict)  # spec.selector.matchLabels

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(frozen=True)
class ContainerState:
    name: str
    ready: bool
    restarts: int = 0
    waiting: str = ""  # CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, …
    waiting_message: str = ""
    terminated: str = ""  # the current state's reason when it has stopped (Error, OOMKilled, Completed)
    last_terminated: str = ""  # lastState.terminated.reason: why the previous run ended
    last_exit_code: int | None = None


@dataclass(frozen=True)
class PodState:
    name: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    ready: bool
    owner: str | None = None  # the controlling ReplicaSet's name
    containers: tuple[ContainerState, ...] = ()
    conditions: tuple[Condition, ...] = ()
    reason: str = ""  # status.reason (Evicted, …)
    message: str = ""
    deleting: bool = False  # metadata.deletionTimestamp is set: on its way out, not a problem

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(frozen=True)
class ClusterEvent:
    kind: str  # of the object it is about: Deployment, ReplicaSet, Pod
    name: str
    reason: str
    message: str
    count: int = 1
    last_seen: datetime | None = None


class Cluster(Protocol):
    async def deployment(self, namespace: str, name: str) -> DeploymentState: ...

    async def replica_sets(self, namespace: str, deployment: str, selector: Mapping[str, str]) -> frozenset[str]:
        """The names of the ReplicaSets the Deployment controls (its selector may match others)."""

    async def pods(self, namespace: str, selector: Mapping[str, str]) -> tuple[PodState, ...]: ...

    async def warnings(self, namespace: str) -> tuple[ClusterEvent, ...]:
        """The namespace's Warning events (the caller keeps those about its workload)."""

    async def pod_log(self, namespace: str, pod: str, container: str, *, previous: bool, lines: int) -> str:
        """The last ``lines`` of a container's log; UpstreamRejected with status 400 when there is
        no previous run's log to read."""
