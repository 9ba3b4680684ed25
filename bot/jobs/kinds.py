"""Jobs: the unit of work the web process hands to the workers.

A job is a kind plus a JSON payload of core values. Kinds are wire strings
(they sit in Redis across deploys of opsbot), so they are constants here and
never renamed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

CHAT_MESSAGE = "chat.message"
# payload: status, url, and either key (forge:repo:id) or commit {forge, repo, environment, sha_prefix}
DEPLOY_STATUS = "deploy.status"
# payload: person, at, and either {what: checklist, place, body, previous} (a tracking comment was
# edited) or {what: issue, forge, repo, number, description, closed} (a todo's issue closed/reopened)
TODO_CHANGE = "todo.change"
# payload: incident (id), due (epoch seconds): remind the incident channel if no update came in time
INCIDENT_REMINDER = "incident.reminder"


@dataclass(frozen=True)
class Job:
    kind: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: os.urandom(16).hex())
    attempt: int = 1
    enqueued_at: float = field(default_factory=time.time)
    trace: dict[str, str] = field(default_factory=dict)  # delivery/event ids for the logs

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
