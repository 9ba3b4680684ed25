"""The alerting harness on its own: a value flips, the real rule fires, the real Alertmanager delivers."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.alerting_servers import DOWN, WARNING_ALERT, AlertingServers

RECORDED = Path(__file__).resolve().parents[1] / "alert_payloads"


def test_a_rule_fires_and_resolves_through_alertmanager_with_the_bearer_token(alerting: AlertingServers) -> None:
    test_id = alerting.new_test_id()
    labels = {"test_id": test_id, "service": "api", "pod": "api-0"}
    alerting.exporter.set(DOWN, labels, 0)

    firing = alerting.relay.wait_for(test_id, lambda d: d.payload["status"] == "firing")

    assert firing.headers["Authorization"] == f"Bearer {alerting.webhook_token}"
    payload = firing.payload
    assert payload["version"] == "4"
    assert payload["groupLabels"] == {"alertname": WARNING_ALERT, "service": "api", "test_id": test_id}
    assert payload["externalURL"] == alerting.alertmanager_url
    [alert] = payload["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["pod"] == "api-0"
    assert alert["annotations"]["summary"] == "api is down"
    assert alert["generatorURL"].startswith(alerting.prometheus_url)
    assert alert["fingerprint"]

    alerting.exporter.set(DOWN, labels, 1)
    resolved = alerting.relay.wait_for(test_id, lambda d: d.payload["status"] == "resolved")

    [gone] = resolved.payload["alerts"]
    assert gone["status"] == "resolved"
    assert gone["fingerprint"] == alert["fingerprint"]
    assert gone["endsAt"] > gone["startsAt"]
    # Nothing of another test's arrives under this id.
    assert all(d.payload["groupLabels"]["test_id"] == test_id for d in alerting.relay.deliveries(test_id))

    if os.environ.get("OPSBOT_RECORD_ALERT_PAYLOADS"):  # refreshes the test data the alert tests read
        for name, delivery in (("firing", firing), ("resolved", resolved)):
            path = RECORDED / f"recorded-alertmanager-0.25.{name}.json"
            path.write_text(json.dumps(delivery.payload, indent=2, sort_keys=True) + "\n")
