"""``query_metrics`` over Prometheus and ``list_alerts`` over Alertmanager, when their URLs are set."""

from __future__ import annotations

from bot.config import OpsConfig
from bot.investigation.looks import Look
from bot.settings import Settings


def metrics_looks(settings: Settings, config: OpsConfig) -> list[Look]:
    return []
