"""In-memory ``AlertGroupStore`` (keeping what the Redis store keeps) and ``IncidentLink``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.ports import KEEP_FOR, AlertGroup, group_id
from bot.fakes import Clock, Expiring
from bot.model import Place


class FakeAlertGroupStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._groups: Expiring[str, dict[str, Any]] = Expiring(clock)

    async def load(self, group_id: str) -> AlertGroup | None:
        found = self._groups.get(group_id)
        return AlertGroup.from_json(found) if found is not None else None

    async def save(self, group: AlertGroup) -> None:
        # Through the JSON form the Redis store writes, so what it would drop is dropped here too.
        self._groups.put(group_id(group.group_key), group.to_json(), KEEP_FOR)


@dataclass
class FakeIncident:
    id: str
    key: str
    title: str
    severity: int
    alerted_in: Place
    open: bool = True
    news: list[tuple[str, str]] = field(default_factory=list)  # (key, text), once per key as the real one
    groups: list[str] = field(default_factory=list)


class FakeIncidentLink:
    """Incidents as the alerts feature sees them: one per key, news once per key, as ``Incidents`` keeps them."""

    def __init__(self) -> None:
        self.incidents: dict[str, FakeIncident] = {}  # by id

    async def declare(self, key: str, title: str, severity: int, alerted_in: Place) -> str | None:
        for incident in self.incidents.values():
            if incident.key == key:
                return incident.id
        incident = FakeIncident(f"inc-{len(self.incidents) + 1}", key, title, severity, alerted_in, groups=[key])
        self.incidents[incident.id] = incident
        return incident.id

    async def news(self, incident_id: str, key: str, text: str) -> bool:
        incident = self.incidents.get(incident_id)
        if incident is None or not incident.open or key in {k for k, _ in incident.news}:
            return False
        incident.news.append((key, text))
        return True

    async def all_resolved(self, incident_id: str, key: str) -> bool:
        return await self.news(incident_id, f"resolved:{key}", "Every alert linked to this incident has resolved.")

    async def linked(self, incident_id: str) -> Sequence[str]:
        incident = self.incidents.get(incident_id)
        return tuple(incident.groups) if incident is not None else ()
