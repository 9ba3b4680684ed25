"""What the alerts feature needs of the world: where its groups are kept, and a service's last deploy."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot import json_fields
from bot.alerts.model import SOURCES, Alert, Source
from bot.model import Place

# A group nobody has heard of for this long is forgotten (Alertmanager's own default
# resolve_timeout is 5 minutes, its repeat_interval 4 hours: a month is far beyond both).
KEEP_FOR = 30 * 24 * 3600


def group_id(group_key: str) -> str:
    """A short stable name for a group: group keys are Alertmanager's route path and labels, of any length."""
    return hashlib.sha256(group_key.encode()).hexdigest()[:24]


def group_reply_key(group_key: str) -> str:
    return f"alert-group:{group_id(group_key)}"


def _optional_number(data: Mapping[str, Any], name: str) -> float | None:
    return None if data.get(name) is None else json_fields.number(data, name)


@dataclass(frozen=True)
class AlertGroup:
    """One Alertmanager group (its ``group_key``) and the one Slack message that shows it.

    ``alerts`` holds every alert seen in the group by fingerprint, as last notified:
    Alertmanager forgets resolved alerts, so one is kept until it resolves here.
    The ``silence_*`` and ``incident_id`` fields belong to the Silence and Declare
    buttons; nothing in this module sets them, and every update keeps them.
    """

    group_key: str
    channel: str  # a Slack channel id, chosen by the routes when the group was first seen
    message_ts: str | None  # the group's message, None until it is posted
    alerts: Mapping[str, Alert]
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    external_url: str
    first_seen: float
    last_notified: float
    truncated_alerts: int = 0
    source: Source = "alertmanager"
    silence_id: str | None = None  # Alertmanager's id of the silence made from the message
    silenced_until: float | None = None
    silenced_by: str | None = None  # the Slack user id who clicked Silence
    incident_id: str | None = None  # the incident declared for the group

    @property
    def resolved(self) -> bool:
        """Every alert seen in the group has resolved (a group seen with none is not)."""
        return bool(self.alerts) and all(a.status == "resolved" for a in self.alerts.values())

    @property
    def reply_key(self) -> str:
        """The key the group's message is posted under, so a re-run job finds it instead of posting again."""
        return group_reply_key(self.group_key)

    def but(self, **changes: Any) -> AlertGroup:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "group_key": self.group_key,
            "channel": self.channel,
            "message_ts": self.message_ts,
            "alerts": [a.to_json() for a in self.alerts.values()],
            "group_labels": dict(self.group_labels),
            "common_labels": dict(self.common_labels),
            "external_url": self.external_url,
            "first_seen": self.first_seen,
            "last_notified": self.last_notified,
            "truncated_alerts": self.truncated_alerts,
            "source": self.source,
            "silence_id": self.silence_id,
            "silenced_until": self.silenced_until,
            "silenced_by": self.silenced_by,
            "incident_id": self.incident_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertGroup:
        alerts = json_fields.field(data, "alerts")
        if not isinstance(alerts, list):
            raise ValueError("'alerts' is not a list")
        parsed = [Alert.from_json(a) for a in alerts]
        labels = json_fields.mapping(data, "group_labels")
        common = json_fields.mapping(data, "common_labels")
        return cls(
            group_key=json_fields.text(data, "group_key"),
            channel=json_fields.text(data, "channel"),
            message_ts=json_fields.optional_text(data, "message_ts"),
            alerts={a.fingerprint: a for a in parsed},
            group_labels={str(k): str(v) for k, v in labels.items()},
            common_labels={str(k): str(v) for k, v in common.items()},
            external_url=json_fields.text(data, "external_url"),
            first_seen=json_fields.number(data, "first_seen"),
            last_notified=json_fields.number(data, "last_notified"),
            truncated_alerts=json_fields.integer(data, "truncated_alerts"),
            source=json_fields.one_of(data, "source", SOURCES),
            silence_id=json_fields.optional_text(data, "silence_id"),
            silenced_until=_optional_number(data, "silenced_until"),
            silenced_by=json_fields.optional_text(data, "silenced_by"),
            incident_id=json_fields.optional_text(data, "incident_id"),
        )


class AlertGroupStore(Protocol):
    """Each alert group's state, found by its :func:`group_id` (what the buttons carry);
    kept :data:`KEEP_FOR` after its last save."""

    async def load(self, group_id: str) -> AlertGroup | None: ...

    async def save(self, group: AlertGroup) -> None: ...


@dataclass(frozen=True)
class LastDeploy:
    """A service's newest deploy, as the group's message tells it."""

    service: str
    environment: str
    ref: str
    sha: str
    by: str  # a bot.text mention token of who asked for it
    at: float
    status: str = "success"


# The composition root wires this to the deploys feature (features don't import each other):
# the newest deploy of a service to any of its environments, None when it has none or isn't known.
LastDeploys = Callable[[str], Awaitable[LastDeploy | None]]


class IncidentLink(Protocol):
    """What the alerts feature asks of incidents (the composition root wires it to the incidents
    feature; features don't import each other). ``key`` names an alert group's firing episode
    (:func:`bot.alerts.incident_news.incident_key`): the same key always gets the same incident."""

    async def declare(self, key: str, title: str, severity: int, alerted_in: Place) -> str | None:
        """The incident id for the episode, declared the first time it is asked; None if it can't be."""
        ...

    async def news(self, incident_id: str, key: str, text: str) -> bool:
        """Tell an open incident of a change in its alerts (neutral text), once per ``key``."""
        ...

    async def all_resolved(self, incident_id: str, key: str) -> bool:
        """Tell an open incident every alert linked to it has resolved, once per ``key``."""
        ...

    async def linked(self, incident_id: str) -> Sequence[str]:
        """The keys of every alert group linked to the incident (none if it is gone)."""
        ...
