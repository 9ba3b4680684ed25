"""What incidents are kept in and opened with: the incident store, rooms, and the reviewer that drafts prose.

``bot.stores.incidents`` keeps incidents in Redis, ``bot.clients.slack_rooms`` opens Slack channels
(``handlers.console`` the console's rooms), and the Ops agent (``bot.agent.reviews``) drafts reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from bot.incidents.model import Event, Incident, RoomPlatform
from bot.model import Person, Place


class IncidentStore(Protocol):
    async def save(self, incident: Incident) -> None: ...

    async def get(self, incident_id: str) -> Incident | None: ...

    async def by_channel(self, channel: str) -> Incident | None: ...

    async def by_request(self, message_id: str) -> str | None:
        """The incident a declare request already started (a re-run job finds it)."""

    async def claim_request(self, message_id: str, incident_id: str) -> str:
        """Record that ``message_id`` declares ``incident_id``; the id recorded first wins."""

    async def open_ids(self) -> list[str]: ...

    async def append(self, incident_id: str, event: Event) -> bool:
        """Add to the timeline once per ``event.ref``; False if it was there."""

    async def timeline(self, incident_id: str) -> list[Event]: ...


class Rooms(Protocol):
    """Channels opsbot opens for incidents: Slack's, or the console's own."""

    @property
    def platform(self) -> RoomPlatform:
        """Where the rooms are; incidents are declared from there, by people there."""

    async def open_room(self, name: str) -> str | None:
        """Create channel ``name``; its id, or None when the name is taken."""

    async def invite(self, room: str, person: Person) -> None: ...

    async def pin(self, room: str, message_id: str) -> None: ...


class Reviewer(Protocol):
    """Drafts prose from an incident's timeline (the Ops agent, when configured)."""

    async def draft(self, incident: Incident, timeline: Sequence[Event], what: Literal["review", "summary"]) -> str: ...


class FollowUps(Protocol):
    """Turns a resolved incident's review into follow-up todos for the incident's conversation at ``place``
    (the todo board, as the composition root wires it)."""

    async def __call__(self, place: Place, review: str) -> int: ...
