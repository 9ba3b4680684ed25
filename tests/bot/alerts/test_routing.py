"""Routing an alert group: the first route whose matchers all hold, else the default channel."""

from __future__ import annotations

from bot.alerts.routing import channel_for, group_labels
from bot.config import OpsConfig
from tests import alert_payloads
from tests.bot.alerts.builders import alert, notification

ROUTES = OpsConfig.parse(
    {
        "alerts": {
            "routes": [
                {"match": {"service": "api", "severity": "critical"}, "channel": "C_API_PAGE"},
                {"match": {"service": "api"}, "channel": "C_API"},
                {"match": {"job": "http_checks"}, "channel": "C_PROBES"},
            ],
            "default_channel": "C_ALERTS",
        }
    }
).alerts


def test_the_first_matching_route_wins() -> None:
    assert channel_for({"service": "api", "severity": "critical"}, ROUTES) == "C_API_PAGE"
    assert channel_for({"service": "api", "severity": "warning", "job": "http_checks"}, ROUTES) == "C_API"
    assert channel_for({"job": "http_checks"}, ROUTES) == "C_PROBES"


def test_every_matcher_must_hold_or_the_default_channel_takes_it() -> None:
    assert channel_for({"severity": "critical"}, ROUTES) == "C_ALERTS"
    assert channel_for({"service": "API"}, ROUTES) == "C_ALERTS"  # values compare exactly
    assert channel_for({}, ROUTES) == "C_ALERTS"


def test_with_no_default_channel_an_unmatched_group_has_nowhere_to_go() -> None:
    assert channel_for({"team": "db"}, OpsConfig.parse({}).alerts) is None


def test_the_published_example_routes_on_its_common_labels() -> None:
    found = notification(alert("a"), alert("b"))
    labels = group_labels(found)
    assert labels["job"] == "http_checks"
    assert labels["alertname"] == "ProbeFailure"
    assert channel_for(labels, ROUTES) == "C_PROBES"
    grafana = alert_payloads.load(alert_payloads.GRAFANA)
    assert grafana["commonLabels"] == {"team": "blue"}
