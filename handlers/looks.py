"""The Ops agent's looks at the systems, built from what is configured: an unconfigured backend offers none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import OpsConfig
from bot.deploys.deploying import Deploys
from bot.investigation.looks import Look, ordered
from bot.settings import Settings
from handlers.looks_cluster import cluster_looks
from handlers.looks_forges import forge_looks
from handlers.looks_metrics import metrics_looks

if TYPE_CHECKING:
    from handlers.app import Integrations


def build_looks(
    settings: Settings, config: OpsConfig, integrations: Integrations, deploys: Deploys
) -> tuple[Look, ...]:
    """Every configured look, in the contract's order (part of the cached prompt prefix)."""
    return ordered(
        [
            *metrics_looks(settings, config),
            *forge_looks(config, integrations, deploys),
            *cluster_looks(settings, config),
        ]
    )
