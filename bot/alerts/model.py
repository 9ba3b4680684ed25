"""An Alertmanager (or Grafana) notification as the core sees it, and as it crosses the job queue.

Alertmanager sends one notification per alert group (``group_key``) whenever the
group changes and again every ``repeat_interval``; it carries the alerts of the
group that Alertmanager still knows. Timestamps stay the RFC 3339 strings
Alertmanager wrote: they are compared for equality (what changed) and shown,
never computed with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from bot import json_fields

AlertStatus = Literal["firing", "resolved"]
STATUSES: tuple[AlertStatus, ...] = get_args(AlertStatus)
Source = Literal["alertmanager", "grafana"]
SOURCES: tuple[Source, ...] = get_args(Source)


def _labels(data: Mapping[str, Any], name: str) -> dict[str, str]:
    found = json_fields.mapping(data, name)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        raise ValueError(f"{name!r} is not an object of strings")
    return dict(found)


@dataclass(frozen=True)
class Alert:
    fingerprint: str  # Alertmanager's hash of the labels: one alert's identity within its group
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: str
    ends_at: str  # "0001-01-01T00:00:00Z" while firing with no end known
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "generator_url": self.generator_url,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Alert:
        return cls(
            fingerprint=json_fields.text(data, "fingerprint"),
            status=json_fields.one_of(data, "status", STATUSES),
            labels=_labels(data, "labels"),
            annotations=_labels(data, "annotations"),
            starts_at=json_fields.text(data, "starts_at"),
            ends_at=json_fields.text(data, "ends_at"),
            generator_url=json_fields.optional_text(data, "generator_url") or "",
        )


@dataclass(frozen=True)
class Notification:
    """One webhook delivery, queued as job kind ``alert.notification``."""

    KIND: ClassVar[str] = "alert.notification"  # a wire string, never renamed

    source: Source
    receiver: str
    status: AlertStatus
    group_key: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str
    alerts: tuple[Alert, ...]
    truncated_alerts: int = 0  # how many alerts Alertmanager left out (webhook_configs max_alerts)

    @property
    def digest(self) -> str:
        """What the notification says, in short: a ``repeat_interval`` re-send with nothing new has
        the same digest, so the door can drop it. Order of the alerts doesn't matter."""
        parts = sorted(f"{a.fingerprint}\0{a.status}\0{a.starts_at}\0{a.ends_at}" for a in self.alerts)
        parts.append(f"truncated\0{self.truncated_alerts}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "receiver": self.receiver,
            "status": self.status,
            "group_key": self.group_key,
            "group_labels": dict(self.group_labels),
            "common_labels": dict(self.common_labels),
            "common_annotations": dict(self.common_annotations),
            "external_url": self.external_url,
            "alerts": [a.to_json() for a in self.alerts],
            "truncated_alerts": self.truncated_alerts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notification:
        alerts = json_fields.field(data, "alerts")
        if not isinstance(alerts, list) or not all(isinstance(a, Mapping) for a in alerts):
            raise ValueError("'alerts' is not a list of objects")
        truncated = json_fields.integer(data, "truncated_alerts")
        if truncated < 0:
            raise ValueError("'truncated_alerts' is negative")
        return cls(
            source=json_fields.one_of(data, "source", SOURCES),
            receiver=json_fields.text(data, "receiver"),
            status=json_fields.one_of(data, "status", STATUSES),
            group_key=json_fields.text(data, "group_key"),
            group_labels=_labels(data, "group_labels"),
            common_labels=_labels(data, "common_labels"),
            common_annotations=_labels(data, "common_annotations"),
            external_url=json_fields.text(data, "external_url"),
            alerts=tuple(Alert.from_json(a) for a in alerts),
            truncated_alerts=truncated,
        )
