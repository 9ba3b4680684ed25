"""Alertmanager's webhook body (version 4) and Grafana's superset of it, as typed values.

The one place such a body is parsed. Grafana's webhook contact point sends
``"version": "1"`` with its own extra fields (``orgId``, ``title``, ``state``,
``message``, per alert ``values``, ``silenceURL``, ``dashboardURL``, …), which
are ignored; it is told apart by ``orgId``. Any other version is refused, since
a future format may mean something else by the same fields.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

import msgspec

from bot.alerts.model import Alert, Notification, Source
from handlers.http_payloads import MAX_INT64, MalformedPayload, Shape, decode_payload

ALERTMANAGER_VERSION = "4"
GRAFANA_VERSION = "1"

Labels = dict[str, str]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]


class AlertShape(Shape):
    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels
    startsAt: str
    endsAt: str
    generatorURL: str = ""
    # Alertmanager before 0.19 sent none; the labels are what it hashes, so they stand in.
    fingerprint: str | None = None


class WebhookShape(Shape):
    version: str
    status: Literal["firing", "resolved"]
    receiver: str
    groupKey: str
    groupLabels: Labels
    commonLabels: Labels
    commonAnnotations: Labels
    externalURL: str
    alerts: list[AlertShape]
    truncatedAlerts: Count = 0
    orgId: int | None = None  # Grafana's organisation: present only when Grafana sent it


def labels_fingerprint(labels: Labels) -> str:
    joined = "\n".join(f"{k}\0{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def _source(shape: WebhookShape) -> Source:
    if shape.version == ALERTMANAGER_VERSION:
        return "alertmanager"
    if shape.version == GRAFANA_VERSION and shape.orgId is not None:
        return "grafana"
    raise MalformedPayload(
        f"version {shape.version[:20]!r} is not one opsbot reads (Alertmanager's 4, or Grafana's 1 with orgId)"
    )


def parse_notification(body: bytes) -> Notification:
    """``body`` as a :class:`Notification`, or :class:`MalformedPayload` saying why not."""
    shape = decode_payload(body, WebhookShape)
    source = _source(shape)
    if not shape.groupKey:
        raise MalformedPayload("groupKey is empty")
    alerts = tuple(
        Alert(
            fingerprint=a.fingerprint or labels_fingerprint(a.labels),
            status=a.status,
            labels=a.labels,
            annotations=a.annotations,
            starts_at=a.startsAt,
            ends_at=a.endsAt,
            generator_url=a.generatorURL,
        )
        for a in shape.alerts
    )
    return Notification(
        source=source,
        receiver=shape.receiver,
        status=shape.status,
        group_key=shape.groupKey,
        group_labels=shape.groupLabels,
        common_labels=shape.commonLabels,
        common_annotations=shape.commonAnnotations,
        external_url=shape.externalURL,
        alerts=alerts,
        truncated_alerts=shape.truncatedAlerts,
    )
