"""In-memory Home ports beside their Protocols.

``FakeHomeViewers`` has the Redis store's semantics (a viewer kept until a deadline on the
injected clock, one refresh held per window);
``tests/contracts`` runs both through one suite. The others hold what a test gives them and keep
what the Home did with it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.errors import UpstreamError
from bot.fakes import Clock, Expiring
from bot.home.model import HeldLock, Home, LatestDeploy, OpenIncident, OpenTodoList, WaitingApproval
from bot.home.ports import VIEWERS_KEPT


class FakeHomeViewers:
    def __init__(self, clock: Clock = time.time, *, kept: int = VIEWERS_KEPT) -> None:
        self._clock = clock
        self._kept = kept
        self._until: dict[str, float] = {}
        self._held: Expiring[str, bool] = Expiring(clock)

    async def seen(self, user: str, until: float) -> None:
        self._until[user] = until
        if len(self._until) > self._kept:  # a sorted set's lowest score goes first, ties by member
            del self._until[min(self._until.items(), key=lambda kv: (kv[1], kv[0]))[0]]

    async def recent(self, now: float) -> list[str]:
        return sorted(user for user, until in self._until.items() if until > now)

    async def hold_refresh(self, seconds: float) -> bool:
        if "refresh" in self._held:
            return False
        self._held.put("refresh", True, seconds)  # milliseconds in Redis: as good as exact
        return True


class FakeHomeSources:
    """What there is to show, as a test sets it."""

    def __init__(self) -> None:
        self.approvals: list[WaitingApproval] = []
        self.held: list[HeldLock] = []
        self.incidents: list[OpenIncident] = []
        self.deploys: list[LatestDeploy] = []
        self.todo_lists: dict[str, list[OpenTodoList]] = {}  # channel -> its lists
        self.reads = 0  # how often everything was read

    async def waiting_approvals(self) -> list[WaitingApproval]:
        self.reads += 1
        return list(self.approvals)

    async def locks(self) -> list[HeldLock]:
        return list(self.held)

    async def open_incidents(self) -> list[OpenIncident]:
        return list(self.incidents)

    async def latest_deploys(self) -> list[LatestDeploy]:
        return list(self.deploys)

    async def open_todo_lists(self, channels: Sequence[str], limit: int) -> tuple[list[OpenTodoList], int]:
        found = [each for channel in channels for each in self.todo_lists.get(channel, [])]
        return found[:limit], max(0, len(found) - limit)


class FakeHomeTabs:
    """Keeps every Home published; ``failure`` is raised by the next publish, when set."""

    def __init__(self) -> None:
        self.published: list[Home] = []
        self.failure: UpstreamError | None = None

    async def publish(self, home: Home) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.published.append(home)

    def latest(self, user: str) -> Home:
        return next(home for home in reversed(self.published) if home.viewer == user)


class FakeMemberships:
    def __init__(self) -> None:
        self.channels: dict[str, list[str]] = {}
        self.asked = 0
        self.failure: UpstreamError | None = None

    async def channels_of(self, user: str) -> list[str]:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        return list(self.channels.get(user, []))
