"""``cluster_status`` on a busy namespace: 200 pods in trouble, 500 warning events, a 5 MB pod log.

The backend's time is the same five client calls the look makes (deployment, replica sets,
pods, warnings, the log tail) against the emulator; the look's time adds the summary.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.clients.kubernetes import KubernetesCluster, configuration
from bot.config import OpsConfig, Service, Workload
from bot.investigation.cluster_status import ClusterStatus
from bot.model import ChatMessage, ConsoleThread, Person
from tests.bench.looks import LookMeasure, emulator_tokens
from tests.emulators.kubernetes import KubernetesEmulator
from tests.emulators.kubernetes_scenarios import crash_looping, deployment, event, pod, replica_set

NS = "api"
RUNS = 3
PODS, EVENTS, LOG_BYTES = 200, 500, 5 * 1024 * 1024
CONFIG = OpsConfig(services={"api": Service("api", ("production",), kubernetes={"production": Workload(NS, "api")})})
ASKED = ChatMessage("bench", Person("console", "U_BENCH"), ConsoleThread("C_BENCH"), "why?", "mention")


def _busy(k8s: KubernetesEmulator) -> str:
    k8s.add("deployments", deployment(NS, "api", desired=PODS, ready=PODS // 2, stuck=True))
    k8s.add("replicasets", replica_set(NS, "api"))
    reasons = [("Error", 1), ("OOMKilled", 137)]
    k8s.add(
        "pods",
        *(
            crash_looping(NS, f"api-7d9-{i:03}", "api-7d9", *reasons[i % 2])
            if i % 2
            else pod(NS, f"api-7d9-{i:03}", "api-7d9")
            for i in range(PODS)
        ),
    )
    k8s.add(
        "events",
        *(
            event(
                NS, "Pod", f"api-7d9-{i % PODS:03}", "BackOff", f"Back-off restarting failed container app {i % 40}", i
            )
            for i in range(EVENTS)
        ),
    )
    line = "2026-12-04T20:00:00Z ERROR request failed: upstream db timed out after 30s id=" + "x" * 40 + "\n"
    worst = "api-7d9-001"
    k8s.logs[(NS, worst, "app", True)] = line * (LOG_BYTES // len(line))
    return worst


def _best(run: Callable[[], Coroutine[Any, Any, object]]) -> tuple[float, object]:
    best, result = float("inf"), object()
    for _ in range(RUNS):
        started = time.perf_counter()
        result = asyncio.run(run())
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def cluster_benches() -> Sequence[LookMeasure]:
    with KubernetesEmulator() as k8s, tempfile.TemporaryDirectory() as tmp:
        worst = _busy(k8s)
        found = configuration(str(k8s.kubeconfig(Path(tmp) / "kubeconfig")), env={})
        assert found is not None
        cluster = KubernetesCluster(found)
        look = ClusterStatus(cluster, CONFIG)
        given = {"service": "api", "environment": "production", "pod": worst}

        async def backend() -> object:
            deployed = await cluster.deployment(NS, "api")
            await asyncio.gather(
                cluster.replica_sets(NS, "api", deployed.selector),
                cluster.pods(NS, deployed.selector),
                cluster.warnings(NS),
            )
            return await cluster.pod_log(NS, worst, "app", previous=True, lines=40)

        async def whole() -> object:
            return await look.run(ASKED, given)

        backend_ms, _ = _best(backend)
        look_ms, result = _best(whole)
        return [
            LookMeasure(
                "cluster_status",
                f"{PODS} pods, {EVENTS} events, 5 MB log",
                emulator_tokens(str(result)),
                backend_ms,
                look_ms,
            )
        ]
