"""``query_metrics`` over Prometheus and ``list_alerts`` over Alertmanager, when their URLs are set."""

from __future__ import annotations

from bot.clients.alertmanager import AlertmanagerClient
from bot.clients.prometheus import PrometheusClient
from bot.config import OpsConfig
from bot.investigation.alerts import ListAlerts
from bot.investigation.looks import Look
from bot.investigation.metrics import QueryMetrics
from bot.settings import Settings


def metrics_looks(settings: Settings, config: OpsConfig) -> list[Look]:
    looks: list[Look] = []
    if settings.prometheus_url is not None:
        looks.append(QueryMetrics(PrometheusClient(settings.prometheus_url, settings.prometheus_token), config))
    if settings.alertmanager_url is not None:
        looks.append(ListAlerts(AlertmanagerClient(settings.alertmanager_url, settings.alertmanager_token)))
    return looks
