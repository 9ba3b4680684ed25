"""``cluster_status`` over the Kubernetes API, when ops.yaml names a workload and a client config is found."""

from __future__ import annotations

from bot.config import OpsConfig
from bot.investigation.looks import Look
from bot.settings import Settings


def cluster_looks(settings: Settings, config: OpsConfig) -> list[Look]:
    return []
