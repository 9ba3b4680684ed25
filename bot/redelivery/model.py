"""A webhook delivery as the forge recorded it, and the job that recovers refused ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bot import json_fields

NO_ANSWER = 0  # GitHub's status_code when it got no HTTP answer (refused connection, timeout)


def github_event_key(guid: str) -> str:
    """The door's dedupe key for a GitHub delivery: its ``X-GitHub-Delivery`` GUID, which a
    redelivery keeps, so a redelivery of something already handled is dropped at the door."""
    return f"github:{guid}"


@dataclass(frozen=True)
class HookDelivery:
    """One attempt to deliver a webhook: the first one, or a redelivery (same ``guid``, new ``id``)."""

    id: int  # what the forge's redeliver endpoint takes
    guid: str  # the X-GitHub-Delivery header: one per event, kept by redeliveries
    delivered_at: float  # epoch seconds
    status_code: int  # the HTTP status opsbot answered; NO_ANSWER when there was none
    event: str = ""
    action: str | None = None
    redelivery: bool = False

    @property
    def refused(self) -> bool:
        """Refused at our door in a way that a later attempt can fix: the store (503), another
        server error, or no answer at all. A 4xx (a bad signature, a body too large) would be
        refused again, and a 2xx was taken."""
        return self.status_code == NO_ANSWER or self.status_code >= 500


@dataclass(frozen=True)
class RecoveryDue:
    """Run one recovery pass: ask the forge again for the webhooks refused up to ``requested_at``.

    A pass that started at or after ``requested_at`` saw every delivery this job
    is about, so the job finds it done; ``reason`` says what asked, for the logs.
    """

    KIND: ClassVar[str] = "webhook.recovery"  # as a job's kind: a wire string, never renamed

    requested_at: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"requested_at": self.requested_at, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecoveryDue:
        return cls(json_fields.number(data, "requested_at"), json_fields.text(data, "reason"))
