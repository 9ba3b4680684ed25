"""The Kubernetes API as a :class:`bot.investigation.cluster.Cluster`, through the official client, read-only.

The client is synchronous: each call runs in the loop's thread pool with its own timeout.
Its configuration is the service account's when running in a pod, else the kubeconfig
(``KUBECONFIG`` or ``~/.kube/config``). :data:`RBAC_RULES` is exactly what the calls here
need; deploy/kubernetes/rbac.yaml grants that and no more, and the tests check both agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from bot.clients.blocking import off_loop
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.investigation.cluster import (
    BACKEND,
    ClusterEvent,
    Condition,
    ContainerState,
    DeploymentState,
    PodState,
)

# (API group, resource, verbs): everything this module asks the API server for.
RBAC_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("apps", "deployments", ("get",)),
    ("apps", "replicasets", ("list",)),
    ("", "pods", ("list",)),
    ("", "pods/log", ("get",)),
    ("", "events", ("list",)),
)
SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
TIMEOUT = (5.0, 10.0)  # seconds to connect, and to read the answer, per call
LOG_BYTES = 64 * 1024  # of the tail asked for: a log of one enormous line stays cheap
T = TypeVar("T")


def configuration(kubeconfig: str | None, env: Mapping[str, str] | None = None) -> client.Configuration | None:
    """The client's configuration: in-cluster when running in a pod, else the kubeconfig; None when neither."""
    env = os.environ if env is None else env
    found = client.Configuration()
    if env.get("KUBERNETES_SERVICE_HOST") and SERVICE_ACCOUNT_TOKEN.is_file():
        config.load_incluster_config(client_configuration=found)  # type: ignore[no-untyped-call]  # the loaders carry no types
        return found
    paths = [p for p in (kubeconfig or "").split(os.pathsep) if p and Path(p).expanduser().is_file()]
    if not paths and not kubeconfig and Path("~/.kube/config").expanduser().is_file():
        paths = [str(Path("~/.kube/config").expanduser())]
    if not paths:
        return None
    config.load_kube_config(config_file=os.pathsep.join(paths), client_configuration=found)  # type: ignore[no-untyped-call]
    return found


def _plain(exc: ApiException, what: str, namespace: str) -> Exception:
    status = int(exc.status or 0)
    if status == 401:
        return UpstreamRejected(
            BACKEND, "the credentials were refused (the kubeconfig or service account token)", status=401
        )
    if status == 403:
        return UpstreamRejected(
            BACKEND,
            f"opsbot's account may not {what} in namespace {namespace} (see deploy/kubernetes/rbac.yaml)",
            status=403,
        )
    if status == 404:
        return UpstreamRejected(BACKEND, f"no {what.split(' ', 1)[1]} in namespace {namespace}", status=404)
    if status == 429 or status >= 500:
        return UpstreamUnavailable(BACKEND, f"answered {status} to {what}", status=status)
    return UpstreamRejected(BACKEND, f"refused to {what} ({status})", status=status)


class KubernetesCluster:
    def __init__(self, configuration: client.Configuration) -> None:
        api = client.ApiClient(configuration)
        self._apps = client.AppsV1Api(api)
        self._core = client.CoreV1Api(api)

    async def _call(self, what: str, namespace: str, call: Callable[[], T]) -> T:
        try:
            return await off_loop(call)
        except ApiException as exc:
            raise _plain(exc, what, namespace) from None
        except urllib3.exceptions.HTTPError as exc:
            raise UpstreamUnavailable(BACKEND, f"did not answer ({exc.__class__.__name__})") from None

    async def deployment(self, namespace: str, name: str) -> DeploymentState:
        found = await self._call(
            f"get Deployment {name}",
            namespace,
            lambda: self._apps.read_namespaced_deployment(name, namespace, _request_timeout=TIMEOUT),
        )
        spec, status = found.spec, found.status
        labels = spec.selector.match_labels if spec is not None and spec.selector is not None else None
        return DeploymentState(
            name=name,
            namespace=namespace,
            generation=int(found.metadata.generation or 0) if found.metadata else 0,
            observed_generation=int(status.observed_generation or 0) if status else 0,
            desired=int(spec.replicas if spec is not None and spec.replicas is not None else 1),
            replicas=int(status.replicas or 0) if status else 0,
            updated=int(status.updated_replicas or 0) if status else 0,
            ready=int(status.ready_replicas or 0) if status else 0,
            available=int(status.available_replicas or 0) if status else 0,
            paused=bool(spec.paused) if spec is not None else False,
            conditions=tuple(_condition(c) for c in (status.conditions or [] if status else [])),
            selector=dict(labels or {}),
        )

    async def replica_sets(self, namespace: str, deployment: str, selector: Mapping[str, str]) -> frozenset[str]:
        found = await self._call(
            "list ReplicaSets",
            namespace,
            lambda: self._apps.list_namespaced_replica_set(
                namespace, label_selector=_selector(selector), _request_timeout=TIMEOUT
            ),
        )
        return frozenset(
            rs.metadata.name
            for rs in found.items
            if rs.metadata is not None
            and rs.metadata.name
            and _controller(rs.metadata.owner_references) == ("Deployment", deployment)
        )

    async def pods(self, namespace: str, selector: Mapping[str, str]) -> tuple[PodState, ...]:
        found = await self._call(
            "list Pods",
            namespace,
            lambda: self._core.list_namespaced_pod(
                namespace, label_selector=_selector(selector), _request_timeout=TIMEOUT
            ),
        )
        return tuple(_pod(p) for p in found.items if p.metadata is not None and p.metadata.name)

    async def warnings(self, namespace: str) -> tuple[ClusterEvent, ...]:
        found = await self._call(
            "list Events",
            namespace,
            lambda: self._core.list_namespaced_event(
                namespace, field_selector="type=Warning", _request_timeout=TIMEOUT
            ),
        )
        return tuple(_event(e) for e in found.items if e.involved_object is not None)

    async def pod_log(self, namespace: str, pod: str, container: str, *, previous: bool, lines: int) -> str:
        text = await self._call(
            f"get the log of Pod {pod}",
            namespace,
            lambda: self._core.read_namespaced_pod_log(
                pod,
                namespace,
                container=container,
                previous=previous,
                tail_lines=lines,
                limit_bytes=LOG_BYTES,
                _request_timeout=TIMEOUT,
            ),
        )
        return str(text or "")


def _selector(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _controller(owners: Any) -> tuple[str, str] | None:
    for owner in owners or []:
        if owner.controller:
            return str(owner.kind), str(owner.name)
    return None


def _condition(raw: Any) -> Condition:
    return Condition(str(raw.type), str(raw.status), str(raw.reason or ""), str(raw.message or ""))


def _container(raw: Any) -> ContainerState:
    state, last = raw.state, raw.last_state
    waiting = state.waiting if state is not None else None
    terminated = state.terminated if state is not None else None
    last_terminated = last.terminated if last is not None else None
    return ContainerState(
        name=str(raw.name),
        ready=bool(raw.ready),
        restarts=int(raw.restart_count or 0),
        waiting=str(waiting.reason or "") if waiting is not None else "",
        waiting_message=str(waiting.message or "") if waiting is not None else "",
        terminated=str(terminated.reason or "") if terminated is not None else "",
        last_terminated=str(last_terminated.reason or "") if last_terminated is not None else "",
        last_exit_code=int(last_terminated.exit_code) if last_terminated is not None else None,
    )


def _pod(raw: Any) -> PodState:
    status = raw.status
    conditions = tuple(_condition(c) for c in (status.conditions or [])) if status is not None else ()
    ready = next((c.status == "True" for c in conditions if c.type == "Ready"), False)
    owner = _controller(raw.metadata.owner_references)
    return PodState(
        name=str(raw.metadata.name),
        phase=str(status.phase or "Unknown") if status is not None else "Unknown",
        ready=ready,
        owner=owner[1] if owner is not None and owner[0] == "ReplicaSet" else None,
        containers=tuple(_container(c) for c in (status.container_statuses or [])) if status is not None else (),
        conditions=conditions,
        reason=str(status.reason or "") if status is not None else "",
        message=str(status.message or "") if status is not None else "",
        deleting=raw.metadata.deletion_timestamp is not None,
    )


def _event(raw: Any) -> ClusterEvent:
    # Events recorded through events.k8s.io/v1 show in core/v1 with their count and last time in `series`.
    series = raw.series
    last = raw.last_timestamp or (series.last_observed_time if series is not None else None) or raw.event_time
    count = raw.count or (series.count if series is not None else None) or 1
    return ClusterEvent(
        kind=str(raw.involved_object.kind or ""),
        name=str(raw.involved_object.name or ""),
        reason=str(raw.reason or ""),
        message=str(raw.message or ""),
        count=int(count),
        last_seen=last,
    )
