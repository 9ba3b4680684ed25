"""An incident's status update coming due, as a delayed job waits for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bot import json_fields


@dataclass(frozen=True)
class ReminderDue:
    """Remind the incident's channel at ``due`` (epoch seconds) unless an update came in time."""

    KIND: ClassVar[str] = "incident.reminder"  # as a job's kind: a wire string, never renamed

    incident: str  # the incident's id
    due: float

    def to_json(self) -> dict[str, Any]:
        return {"incident": self.incident, "due": self.due}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReminderDue:
        return cls(json_fields.text(data, "incident"), json_fields.number(data, "due"))
