"""``cluster_status`` over the Kubernetes API, when ops.yaml names a workload and a client config is found."""

from __future__ import annotations

from bot.clients.kubernetes import KubernetesCluster, configuration
from bot.config import OpsConfig
from bot.investigation.cluster_status import ClusterStatus
from bot.investigation.looks import Look
from bot.settings import Settings


def cluster_looks(settings: Settings, config: OpsConfig) -> list[Look]:
    if not any(service.kubernetes for service in config.services.values()):
        return []
    found = configuration(settings.kubeconfig)
    if found is None:
        return []
    return [ClusterStatus(KubernetesCluster(found), config)]
