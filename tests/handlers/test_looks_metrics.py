"""query_metrics and list_alerts are offered only when their backend's URL is set."""

from __future__ import annotations

from bot.config import OpsConfig
from bot.settings import Settings
from handlers.looks_metrics import metrics_looks

CONFIG = OpsConfig.parse({"environments": {"production": {}}, "services": {}})


def test_without_urls_neither_look_is_offered() -> None:
    assert metrics_looks(Settings.from_env({}), CONFIG) == []


def test_each_url_turns_on_its_own_look() -> None:
    prometheus = metrics_looks(Settings.from_env({"PROMETHEUS_URL": "http://prometheus:9090"}), CONFIG)
    both = metrics_looks(
        Settings.from_env({"PROMETHEUS_URL": "http://p:9090", "ALERTMANAGER_URL": "http://a:9093"}), CONFIG
    )
    assert [look.spec.name for look in prometheus] == ["query_metrics"]
    assert [look.spec.name for look in both] == ["query_metrics", "list_alerts"]
