"""Workloads shaped like the API server's objects: a healthy rollout and the usual ways one goes wrong."""

from __future__ import annotations

from typing import Any

from .kubernetes import KubernetesEmulator

NOW = "2026-12-04T12:00:00Z"
LABELS = {"app": "api"}


def meta(kind: str, ns: str, name: str, owner: tuple[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "namespace": ns, "uid": f"uid-{name}", "resourceVersion": "4242",
                            "creationTimestamp": "2026-12-04T11:00:00Z", "labels": dict(LABELS), **extra}  # fmt: skip
    if owner is not None:
        data["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": f"uid-{owner[1]}",
             "controller": True, "blockOwnerDeletion": True}
        ]  # fmt: skip
    return data


def deployment(
    ns: str, name: str, *, desired: int = 3, ready: int | None = None, stuck: bool = False
) -> dict[str, Any]:
    ready = desired if ready is None else ready
    progressing = (
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": f'ReplicaSet "{name}-7d9" has timed out progressing.'}
        if stuck
        else {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
              "message": f'ReplicaSet "{name}-7d9" has successfully progressed.'}
    )  # fmt: skip
    available = {
        "type": "Available",
        "status": "True" if ready else "False",
        "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
        "message": "Deployment has minimum availability."
        if ready
        else "Deployment does not have minimum availability.",
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**meta("Deployment", ns, name), "generation": 2},
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {"containers": [{"name": "app", "image": "ghcr.io/acme/api:1.2.3"}]},
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": 2,
            "replicas": desired,
            "updatedReplicas": desired,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [available, progressing],
        },
    }


def replica_set(ns: str, deployment_name: str, suffix: str = "7d9") -> dict[str, Any]:
    name = f"{deployment_name}-{suffix}"
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": meta("ReplicaSet", ns, name, ("Deployment", deployment_name)),
            "spec": {"replicas": 3, "selector": {"matchLabels": dict(LABELS)}},
            "status": {"replicas": 3, "observedGeneration": 1}}  # fmt: skip


def pod(ns: str, name: str, owner: str, state: dict[str, Any] | None = None, *, ready: bool = True,
        restarts: int = 0, last: dict[str, Any] | None = None, phase: str = "Running",
        scheduled: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    status: dict[str, Any] = {"phase": phase, "conditions": [
        scheduled or {"type": "PodScheduled", "status": "True", "lastTransitionTime": NOW},
    ]}  # fmt: skip
    if scheduled is None:
        status["conditions"].append(
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": NOW}
        )
        status["containerStatuses"] = [
            {"name": "app", "ready": ready, "restartCount": restarts, "image": "ghcr.io/acme/api:1.2.3",
             "imageID": "", "started": ready, "state": state or {"running": {"startedAt": NOW}},
             "lastState": {"terminated": last} if last else {}}
        ]  # fmt: skip
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta("Pod", ns, name, ("ReplicaSet", owner)),
            "spec": {"containers": [{"name": "app", "image": "ghcr.io/acme/api:1.2.3"}]}, "status": status}  # fmt: skip


def crash_looping(ns: str, name: str, owner: str, reason: str = "Error", code: int = 1) -> dict[str, Any]:
    waiting = {"waiting": {"reason": "CrashLoopBackOff",
                           "message": f"back-off 5m0s restarting failed container=app pod={name}"}}  # fmt: skip
    last = {"exitCode": code, "reason": reason, "startedAt": NOW, "finishedAt": NOW, "containerID": "containerd://1"}
    return pod(ns, name, owner, waiting, ready=False, restarts=12, last=last)


def event(ns: str, kind: str, name: str, reason: str, message: str, count: int, when: str = NOW) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{reason.lower()}", "namespace": ns, "resourceVersion": "4242"},
            "involvedObject": {"kind": kind, "namespace": ns, "name": name, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": "Warning", "count": count,
            "firstTimestamp": when, "lastTimestamp": when, "source": {"component": "kubelet"}}  # fmt: skip


def healthy(k8s: KubernetesEmulator, ns: str = "api-staging") -> None:
    k8s.add("deployments", deployment(ns, "api"))
    k8s.add("replicasets", replica_set(ns, "api"))
    k8s.add("pods", *(pod(ns, f"api-7d9-{i}", "api-7d9") for i in range(3)))


def crash_loop(k8s: KubernetesEmulator, ns: str = "api-staging") -> None:
    """One pod crash-looping on an error (with its previous run's log), one OOMKilled, a stuck rollout."""
    k8s.add("deployments", deployment(ns, "api", ready=1, stuck=True))
    k8s.add("replicasets", replica_set(ns, "api"))
    k8s.add(
        "pods",
        pod(ns, "api-7d9-ok", "api-7d9"),
        crash_looping(ns, "api-7d9-crash", "api-7d9"),
        crash_looping(ns, "api-7d9-oom", "api-7d9", "OOMKilled", 137),
        # Matches the selector but belongs to another owner: never part of the workload.
        pod(ns, "stray", "other-1"),
    )
    k8s.add(
        "events",
        event(ns, "Pod", "api-7d9-crash", "BackOff", "Back-off restarting failed container app", 40),
        event(ns, "Pod", "unrelated-1", "FailedMount", "secret not found", 3),
    )
    k8s.logs[(ns, "api-7d9-crash", "app", True)] = "boot\nconnecting with password=hunter2-S3cr3t\npanic: db down\n"


def pending_and_pulling(k8s: KubernetesEmulator, ns: str = "api-staging") -> None:
    k8s.add("deployments", deployment(ns, "api", ready=0))
    k8s.add("replicasets", replica_set(ns, "api"))
    unschedulable = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": NOW,
                     "message": "0/3 nodes are available: 3 Insufficient memory."}  # fmt: skip
    pulling = {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "ghcr.io/acme/api:9.9"'}}
    k8s.add(
        "pods",
        pod(ns, "api-7d9-p", "api-7d9", phase="Pending", scheduled=unschedulable, ready=False),
        pod(ns, "api-7d9-i", "api-7d9", pulling, ready=False),
    )
