"""Notifications for the alerts tests, starting from the published Alertmanager example."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Notification
from handlers.alertmanager_payload import parse_notification
from tests import alert_payloads

NOT_ENDED = "0001-01-01T00:00:00Z"


def alert(
    fingerprint: str,
    *,
    status: str = "firing",
    starts: str = "2023-02-06T13:08:45.828Z",
    ends: str = NOT_ENDED,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One alert of the published example's shape, with its own fingerprint and instance."""
    base: dict[str, Any] = copy.deepcopy(alert_payloads.load(alert_payloads.ALERTMANAGER)["alerts"][0])
    base.update(status=status, startsAt=starts, endsAt=ends, fingerprint=fingerprint)
    base["labels"] = {**base["labels"], "instance": f"host-{fingerprint}", **(labels or {})}
    if annotations is not None:
        base["annotations"] = dict(annotations)
    return base


def notification(*alerts: dict[str, Any], truncated: int = 0, **fields: Any) -> Notification:
    document = alert_payloads.load(alert_payloads.ALERTMANAGER)
    document["alerts"] = list(alerts)
    document["truncatedAlerts"] = truncated
    document["status"] = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    document.update(fields)
    return parse_notification(json.dumps(document).encode())
