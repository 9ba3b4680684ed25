"""Deploy news: a deploy or rollback that starts or finishes during an open incident is told in its channel.

Deploys don't import incidents: the composition root hands the deploy commands
:meth:`DeployNews.tell` as their news callback.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.reporting import Reporter
from bot.incidents.model import Event, channel_place
from bot.incidents.ports import IncidentStore


class DeployNews:
    def __init__(self, store: IncidentStore, reporter: Reporter, clock: Callable[[], float]) -> None:
        self._store = store
        self._reporter = reporter
        self._clock = clock

    async def tell(self, key: str, text: str) -> None:
        """Every open incident hears of it, once per ``key`` (its timeline says so too)."""
        for incident_id in await self._store.open_ids():
            incident = await self._store.get(incident_id)
            if incident is None or incident.channel is None:
                continue
            event = Event(key, self._clock(), "opsbot", "deploy", text)
            if await self._store.append(incident.id, event):
                await self._reporter.announce(channel_place(incident), f"incident:{incident.id}:{key}", text)
