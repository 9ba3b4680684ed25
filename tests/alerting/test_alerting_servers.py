"""The alerting harness on its own: a value flips, the real rule fires, the real Alertmanager delivers."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.alerting_servers import CRITICAL_ALERT, CRITICAL_DOWN, DOWN, WARNING_ALERT, AlertingServers, app_target
from tests.waiting import eventually

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


async def test_a_routed_test_gets_the_notification_bytes_and_headers_in_its_own_app(alerting: AlertingServers) -> None:
    received: list[tuple[str, str, bytes]] = []

    async def webhook(request: Request) -> Response:
        received.append((request.url.path, request.headers["authorization"], await request.body()))
        return Response(status_code=202)

    app = Starlette(routes=[Route("/alertmanager/webhook", webhook, methods=["POST"])])
    test_id = alerting.new_test_id()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://opsbot.test") as client:
        alerting.relay.route_to(test_id, app_target(client, asyncio.get_running_loop()))
        try:
            alerting.exporter.set(CRITICAL_DOWN, {"test_id": test_id, "service": "db"}, 0)
            await eventually(lambda: bool(received), 20, "the notification in the app")
        finally:
            alerting.relay.unroute(test_id)
            alerting.exporter.remove(CRITICAL_DOWN, {"test_id": test_id, "service": "db"})

    path, authorization, body = received[0]
    assert path == "/alertmanager/webhook"
    assert authorization == f"Bearer {alerting.webhook_token}"
    [kept] = alerting.relay.deliveries(test_id)[:1]
    assert body == kept.body  # byte for byte what Alertmanager sent
    [alert] = json.loads(body)["alerts"]
    assert alert["labels"]["alertname"] == CRITICAL_ALERT
    assert alert["labels"]["severity"] == "critical"
