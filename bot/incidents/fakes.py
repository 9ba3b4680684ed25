"""An in-memory ``IncidentStore`` beside its Protocol, with the Redis store's semantics:
a declare request claimed once, the open set, a timeline that takes each event ref once."""

from __future__ import annotations

import time

from bot.fakes import Clock, Expiring
from bot.incidents.incidents import Event, Incident

KEEP_FOR = 400 * 24 * 3600


class FakeIncidentStore:
    def __init__(self, clock: Clock = time.time) -> None:
        # Kept as JSON, as Redis keeps them: a caller changing its copy changes nothing here.
        self._incidents: Expiring[str, str] = Expiring(clock)
        self._channels: Expiring[str, str] = Expiring(clock)
        self._requests: Expiring[str, str] = Expiring(clock)
        self._open: set[str] = set()
        self._timelines: Expiring[str, list[Event]] = Expiring(clock)
        self._refs: Expiring[str, set[str]] = Expiring(clock)

    async def save(self, incident: Incident) -> None:
        self._incidents.put(incident.id, incident.to_json(), KEEP_FOR)
        if incident.channel:
            self._channels.put(incident.channel, incident.id, KEEP_FOR)
        if incident.status == "open":
            self._open.add(incident.id)
        else:
            self._open.discard(incident.id)

    async def get(self, incident_id: str) -> Incident | None:
        raw = self._incidents.get(incident_id)
        return Incident.from_json(raw) if raw else None

    async def by_channel(self, channel: str) -> Incident | None:
        found = self._channels.get(channel)
        return await self.get(found) if found else None

    async def by_request(self, message_id: str) -> str | None:
        return self._requests.get(message_id)

    async def claim_request(self, message_id: str, incident_id: str) -> str:
        if message_id not in self._requests:
            self._requests.put(message_id, incident_id, KEEP_FOR)
        return self._requests.get(message_id) or incident_id

    async def open_ids(self) -> list[str]:
        return sorted(self._open)

    async def append(self, incident_id: str, event: Event) -> bool:
        refs = self._refs.get(incident_id) or set()
        if event.ref in refs:
            return False
        events = self._timelines.get(incident_id) or []
        # Every append renews both, as the script's EXPIREs do.
        self._refs.put(incident_id, refs | {event.ref}, KEEP_FOR)
        self._timelines.put(incident_id, [*events, event], KEEP_FOR)
        return True

    async def timeline(self, incident_id: str) -> list[Event]:
        return list(self._timelines.get(incident_id) or [])
