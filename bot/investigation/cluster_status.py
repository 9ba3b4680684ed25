"""The ``cluster_status`` look: a service's Kubernetes workload in one environment, read-only.

Where to look comes from ops.yaml only (``kubernetes:`` per service and environment), never
from the conversation; a pod named by the model is read only when it is one of that
Deployment's own pods (owned by one of its ReplicaSets), so the tool can't be pointed at
an arbitrary pod's log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot.config import OpsConfig, Workload
from bot.errors import CommandError, UpstreamRejected
from bot.investigation.cluster import BACKEND, Cluster, ClusterEvent, ContainerState, PodState
from bot.investigation.cluster_summary import LOG_LINES, summary
from bot.investigation.looks import LookSpec
from bot.model import ChatMessage

NAME = "cluster_status"
INPUT_LIMIT = 253  # characters: the longest Kubernetes object name
SPEC = LookSpec(
    name=NAME,
    backend=BACKEND,
    description=(
        "The state of a service's Kubernetes Deployment in one environment (as ops.yaml places it): rollout "
        "status, ready/desired replicas, the pods not ready with their reasons (CrashLoopBackOff, OOMKilled, "
        "ImagePullBackOff, Pending), recent warning events, and with `pod` the tail of that pod's log "
        "(its previous run's when it is crash-looping). Read-only."
    ),
    properties={
        "service": {"type": "string", "description": "a service of ops.yaml"},
        "environment": {"type": "string", "description": "one of the service's environments"},
        "pod": {"type": "string", "description": "one of the Deployment's pods, to read the tail of its log"},
    },
    required=("service", "environment"),
)


def _text(given: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = given.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > INPUT_LIMIT:
        raise CommandError(f"{key} must be a name of at most {INPUT_LIMIT} characters")
    return value.strip()


class ClusterStatus:
    def __init__(self, cluster: Cluster, config: OpsConfig) -> None:
        self._cluster = cluster
        self._config = config

    @property
    def spec(self) -> LookSpec:
        return SPEC

    def workload(self, given: Mapping[str, Any]) -> Workload:
        service_name = _text(given, "service", required=True) or ""
        environment = _text(given, "environment", required=True) or ""
        service = self._config.services.get(service_name)
        if service is None:
            known = ", ".join(sorted(s for s, v in self._config.services.items() if v.kubernetes)) or "none"
            raise CommandError(f"{service_name!r} is not a service of ops.yaml (with a Kubernetes workload: {known})")
        workload = service.kubernetes.get(environment)
        if workload is None:
            where = ", ".join(sorted(service.kubernetes)) or "no environment"
            raise CommandError(
                f"ops.yaml names no Kubernetes workload for {service_name} in {environment!r} "
                f"(kubernetes: entries: {where})"
            )
        return workload

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        workload = self.workload(given)
        pod_name = _text(given, "pod", required=False)
        extra = set(given) - set(SPEC.properties)
        if extra:
            raise CommandError(f"unknown input {sorted(extra)}; cluster_status takes service, environment, pod")
        deployment = await self._cluster.deployment(workload.namespace, workload.deployment)
        if not deployment.selector:
            raise CommandError(f"Deployment {workload.deployment} has no matchLabels selector to find its pods by")
        replica_sets, pods, events = await asyncio.gather(
            self._cluster.replica_sets(workload.namespace, workload.deployment, deployment.selector),
            self._cluster.pods(workload.namespace, deployment.selector),
            self._cluster.warnings(workload.namespace),
        )
        # A selector may also match pods of other owners; the Deployment's own are those of its ReplicaSets.
        owned = tuple(p for p in pods if p.owner in replica_sets)
        names = {workload.deployment, *replica_sets, *(p.name for p in owned)}
        related = [e for e in events if _about(e, names)]
        if pod_name is None:
            return summary(deployment, owned, related)
        pod = next((p for p in owned if p.name == pod_name), None)
        if pod is None:
            shown = ", ".join(sorted(p.name for p in owned)[:10]) or "none"
            raise CommandError(
                f"{pod_name!r} is not a pod of Deployment {workload.deployment} in {workload.namespace} "
                f"(its pods: {shown})"
            )
        container, previous = _worth_reading(pod)
        if container is None:
            return summary(deployment, owned, related, (pod.name, "-", False, "(the pod has no container yet)"))
        log = await self._log(workload.namespace, pod.name, container, previous)
        return summary(deployment, owned, related, (pod.name, container, previous and log[1], log[0]))

    async def _log(self, namespace: str, pod: str, container: str, previous: bool) -> tuple[str, bool]:
        """The log text, and whether it is the previous run's: a container restarted by its node
        (not by crashing) may have no previous log kept, and then the current one is read."""
        if previous:
            try:
                return await self._cluster.pod_log(namespace, pod, container, previous=True, lines=LOG_LINES), True
            except UpstreamRejected as refused:
                if refused.status != 400:
                    raise
        return await self._cluster.pod_log(namespace, pod, container, previous=False, lines=LOG_LINES), False


def _about(event: ClusterEvent, names: set[str]) -> bool:
    return event.kind in ("Deployment", "ReplicaSet", "Pod") and event.name in names


def _worth_reading(pod: PodState) -> tuple[str | None, bool]:
    """The container whose log explains most (a crashing one first), and whether to read its previous run."""
    if not pod.containers:
        return None, False

    def rank(c: ContainerState) -> tuple[bool, bool, int]:
        return (c.ready, not (c.waiting or c.last_terminated), -c.restarts)

    chosen = min(pod.containers, key=rank)
    crashed = chosen.restarts > 0 and (chosen.waiting == "CrashLoopBackOff" or bool(chosen.last_terminated))
    return chosen.name, crashed
