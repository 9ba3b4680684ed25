"""Jobs: the unit of work the web process hands to the workers.

A job is an envelope (kind, id, attempt, times, trace) around one typed core
value, its payload, which names its own kind and turns into plain JSON and
back. Each payload type lives beside the feature it belongs to:

    chat.message       bot.model.ChatMessage                   a message addressed to opsbot
    deploy.status      bot.deploys.status_report.DeployStatusReport   a forge reported a deploy's progress
    todo.change        bot.todos.changes.ChecklistEdited | TodoIssueChanged   a person ticked a box or closed an issue
    incident.reminder  bot.incidents.reminder_due.ReminderDue   an incident's update is due
    alert.notification bot.alerts.model.Notification           Alertmanager (or Grafana) notified an alert group
    alert.action       bot.alerts.actions.AlertAction           someone clicked a button on an alert message
    alert.reconcile    bot.alerts.actions.ReconcileDue          time to compare a silenced group with Alertmanager
    home.refresh       bot.home.model.HomeRefresh               a Slack Home was opened, or what Homes show changed
    home.action        bot.home.model.HomeAction                someone clicked a button on their Home
    deploy.form        bot.deploys.form.FormRequest             show the deploy form (again, for a new choice)
    deploy.form.submitted  bot.deploys.form.FormSubmission      a person submitted the deploy form
    webhook.recovery   bot.redelivery.model.RecoveryDue         ask GitHub again for webhooks refused in an outage

Kinds and payload fields are wire strings: jobs sit in Redis across deploys of
opsbot, so a release must read what the previous one queued, and none of them
is ever renamed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

import orjson


class Payload(Protocol):
    """What a job carries: a core value that knows its kind and its JSON form."""

    KIND: ClassVar[str]

    def to_json(self) -> dict[str, Any]: ...


class MalformedJob(ValueError):
    """A job whose payload doesn't read as its kind's type: running it again would not help."""


class UnknownJob(ValueError):
    """A job kind this version of opsbot does not know (e.g. from a newer one)."""


@dataclass(frozen=True)
class Job:
    kind: str
    payload: dict[str, Any]  # the payload's JSON form, as it sits in the queue
    id: str = field(default_factory=lambda: os.urandom(16).hex())
    attempt: int = 1
    enqueued_at: float = field(default_factory=time.time)
    trace: dict[str, str] = field(default_factory=dict)  # delivery/event ids for the logs

    @classmethod
    def of(cls, payload: Payload, *, trace: dict[str, str] | None = None) -> Job:
        """The job that carries ``payload``: the one way edges and features make a job."""
        return cls(payload.KIND, payload.to_json(), trace=dict(trace or {}))

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "kind": self.kind,
                "payload": self.payload,
                "id": self.id,
                "attempt": self.attempt,
                "enqueued_at": self.enqueued_at,
                "trace": self.trace,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> Job:
        data = orjson.loads(raw)
        return cls(
            kind=data["kind"],
            payload=data["payload"],
            id=data["id"],
            attempt=int(data.get("attempt", 1)),
            enqueued_at=float(data.get("enqueued_at", 0.0)),
            trace=dict(data.get("trace") or {}),
        )

    def next_attempt(self) -> Job:
        return replace(self, attempt=self.attempt + 1)


@dataclass(frozen=True)
class Delivery:
    """A job as a worker received it: ``receipt`` acknowledges it in the queue.

    ``redelivered`` is true when an earlier run may already have had side
    effects (its worker died, or it is a retry), so the job must check before
    it posts anything.
    """

    job: Job
    receipt: str
    redelivered: bool
    deliveries: int = 1  # how many workers have been handed this entry
