"""In-memory incident ports beside their Protocols.

``FakeIncidentStore`` has the Redis store's semantics (a declare request
claimed once, the open set, a timeline that takes each event ref once);
``FakeRooms`` is a Slack (or a console) that opens channels, refusing a name already taken.
"""

from __future__ import annotations

import time

from bot.fakes import Clock, Expiring
from bot.incidents.model import Event, Incident, RoomPlatform
from bot.model import Person

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


class FakeRooms:
    def __init__(self, taken: tuple[str, ...] = (), platform: RoomPlatform = "slack") -> None:
        self.platform: RoomPlatform = platform
        self.rooms: dict[str, str] = {name: f"C_TAKEN{n}" for n, name in enumerate(taken)}  # name -> channel id
        self.members: dict[str, list[Person]] = {}
        self.pins: dict[str, list[str]] = {}

    async def open_room(self, name: str) -> str | None:
        if name in self.rooms:
            return None
        self.rooms[name] = f"C_INC{len(self.rooms) + 1}"
        return self.rooms[name]

    async def invite(self, room: str, person: Person) -> None:
        members = self.members.setdefault(room, [])
        if person not in members:  # Slack answers already_in_channel; opsbot takes that as done
            members.append(person)

    async def pin(self, room: str, message_id: str) -> None:
        self.pins.setdefault(room, []).append(message_id)
