"""Alertmanager's and Grafana's webhook bodies: the published examples read; anything else is a clear 400."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.model import Notification
from handlers import alertmanager_payload
from handlers.alertmanager_payload import labels_fingerprint, parse_notification
from handlers.http_payloads import MalformedPayload
from tests import alert_payloads
from tests.handlers import hostile

PUBLISHED = [alert_payloads.ALERTMANAGER, alert_payloads.GRAFANA]


def test_alertmanagers_published_example_reads_as_a_notification() -> None:
    found = parse_notification(alert_payloads.body(alert_payloads.ALERTMANAGER))
    assert found.source == "alertmanager"
    assert found.group_key == '{}/{severity="critical"}:{alertname="ProbeFailure"}'
    assert found.group_labels == {"alertname": "ProbeFailure"}
    assert found.common_labels["severity"] == "critical"
    assert found.external_url == "http://prometheus.example.org:9093"
    assert found.truncated_alerts == 0
    [alert] = found.alerts
    assert (alert.fingerprint, alert.status, alert.name) == ("1a30ba71cca2921f", "firing", "ProbeFailure")
    assert alert.annotations["summary"] == "BlackBox Probe Failure: https://server.example.org"
    assert alert.starts_at == "2023-02-06T13:08:45.828Z"
    assert alert.generator_url.startswith("http://prometheus.example.org:9090/graph?")


def test_grafanas_published_example_reads_on_the_same_route() -> None:
    found = parse_notification(alert_payloads.body(alert_payloads.GRAFANA))
    assert found.source == "grafana"
    assert found.group_key == "{}:{}"
    assert [a.fingerprint for a in found.alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert found.alerts[0].annotations["runbook_url"] == "https://myrunbook.com/runbook/1234"
    assert found.common_labels == {"team": "blue"}


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_a_notification_survives_the_job_queue(path: Any) -> None:
    found = parse_notification(alert_payloads.body(path))
    assert Notification.from_json(json.loads(json.dumps(found.to_json()))) == found


def test_an_alert_without_a_fingerprint_is_named_by_its_labels() -> None:
    document = alert_payloads.load(alert_payloads.ALERTMANAGER)
    del document["alerts"][0]["fingerprint"]
    [alert] = parse_notification(json.dumps(document).encode()).alerts
    assert alert.fingerprint == labels_fingerprint(document["alerts"][0]["labels"])
    other = dict(document["alerts"][0]["labels"], instance="elsewhere")
    assert labels_fingerprint(other) != alert.fingerprint


def test_the_digest_ignores_order_and_sees_any_change_of_state() -> None:
    document = alert_payloads.load(alert_payloads.GRAFANA)
    first = parse_notification(json.dumps(document).encode())
    reordered = copy.deepcopy(document)
    reordered["alerts"].reverse()
    assert parse_notification(json.dumps(reordered).encode()).digest == first.digest
    for field, value in (
        ("status", "resolved"),
        ("endsAt", "2021-10-12T10:00:00Z"),
        ("startsAt", "2021-10-13T00:00:00Z"),
    ):
        changed = copy.deepcopy(document)
        changed["alerts"][1][field] = value
        assert parse_notification(json.dumps(changed).encode()).digest != first.digest
    changed = copy.deepcopy(document)
    changed["alerts"][0]["annotations"]["summary"] = "only the words changed"
    assert parse_notification(json.dumps(changed).encode()).digest == first.digest


def changed(path: Any, **fields: object) -> bytes:
    document = alert_payloads.load(path)
    for name, value in fields.items():
        if value is None:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (changed(alert_payloads.ALERTMANAGER, version="5"), "version '5'"),
        (changed(alert_payloads.ALERTMANAGER, version="1"), "version '1'"),  # Grafana's, but no orgId
        (changed(alert_payloads.GRAFANA, version="4x"), "version"),
        (changed(alert_payloads.ALERTMANAGER, version=None), "version"),
        (changed(alert_payloads.ALERTMANAGER, groupKey=None), "groupKey"),
        (changed(alert_payloads.ALERTMANAGER, groupKey=""), "groupKey is empty"),
        (changed(alert_payloads.ALERTMANAGER, status="pending"), "$.status"),
        (changed(alert_payloads.ALERTMANAGER, alerts={"status": "firing"}), "$.alerts"),
        (changed(alert_payloads.ALERTMANAGER, commonLabels={"severity": 3}), "$.commonLabels"),
        (changed(alert_payloads.ALERTMANAGER, truncatedAlerts=-1), "$.truncatedAlerts"),
        (changed(alert_payloads.ALERTMANAGER, externalURL=None), "externalURL"),
        (hostile.nested(100_000), "nested too deeply"),
        (b"[]", "object"),
    ],
)
def test_a_body_that_does_not_fit_says_why(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload) as refused:
        parse_notification(body)
    assert reason in str(refused.value)


READ = hostile.fields_read(alertmanager_payload)


@st.composite
def mutated_published(draw: st.DrawFn) -> bytes:
    return draw(hostile.mutated(alert_payloads.load(draw(st.sampled_from(PUBLISHED))), READ))


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(hostile.BODIES, hostile.JSON.map(lambda d: json.dumps(d).encode()), mutated_published()))
def test_any_body_is_a_notification_or_a_malformed_payload(body: bytes) -> None:
    try:
        found = parse_notification(body)
    except MalformedPayload as refused:
        reason = str(refused)
    else:
        assert Notification.from_json(json.loads(json.dumps(found.to_json()))) == found
        return
    assert "\n" not in reason
