"""The features' stores, telling the Slack Home what changed: each wraps one store and, after a write
that changed something a Home shows, calls :meth:`bot.home.homes.Homes.changed` (an approval opened
also says when it expires). Reads pass straight through. Nothing is said of a write that changed
nothing: a lock refused, an approval already decided, a stale deploy status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.deploys.approvals import PendingApproval
from bot.deploys.model import Deployment, InFlight, Lock, LockScope
from bot.deploys.ports import ApprovalStore, DeploymentStore, LockStore
from bot.incidents.model import Event, Incident
from bot.incidents.ports import IncidentStore
from bot.model import Person, Place, SlackThread
from bot.todos.lists import Todo
from bot.todos.ports import TodoStore

Changed = Callable[[], Awaitable[None]]


class NoticedApprovals:
    def __init__(self, store: ApprovalStore, changed: Changed, changes_at: Callable[[float], Awaitable[None]]) -> None:
        self._store = store
        self._changed = changed
        self._changes_at = changes_at

    async def open(self, approval: PendingApproval) -> None:
        await self._store.open(approval)
        await self._changed()
        await self._changes_at(approval.expires_at)  # it leaves the Homes when it expires, too

    async def latest_for(self, place: Place) -> PendingApproval | None:
        return await self._store.latest_for(place)

    async def get(self, approval_id: str) -> PendingApproval | None:
        return await self._store.get(approval_id)

    async def close(self, approval_id: str) -> PendingApproval | None:
        closed = await self._store.close(approval_id)
        if closed is not None:
            await self._changed()
        return closed


class NoticedLocks:
    def __init__(self, store: LockStore, changed: Changed) -> None:
        self._store = store
        self._changed = changed

    async def acquire(self, lock: Lock) -> Lock:
        held = await self._store.acquire(lock)
        if held == lock:
            await self._changed()
        return held

    async def release(self, scope: LockScope, holder: Person | None) -> Lock | None:
        released = await self._store.release(scope, holder)
        if released is not None:
            await self._changed()
        return released

    async def holding(self, scope: LockScope) -> Lock | None:
        return await self._store.holding(scope)

    async def all(self) -> list[Lock]:
        return await self._store.all()


class NoticedDeployments:
    def __init__(self, store: DeploymentStore, changed: Changed) -> None:
        self._store = store
        self._changed = changed

    async def save(self, deployment: Deployment) -> None:
        await self._store.save(deployment)
        await self._changed()

    async def get(self, key: str) -> Deployment | None:
        return await self._store.get(key)

    async def update(
        self, key: str, change: Callable[[Deployment], Deployment]
    ) -> tuple[Deployment, Deployment] | None:
        result = await self._store.update(key, change)
        if result is not None and result[0] != result[1]:
            await self._changed()
        return result

    async def history(self, service: str, environment: str, limit: int) -> list[Deployment]:
        return await self._store.history(service, environment, limit)

    async def claim(self, flight: InFlight, now: float) -> InFlight | None:
        return await self._store.claim(flight, now)

    async def release(
        self, service: str, environment: str, *, token: str | None = None, deployment: str | None = None
    ) -> None:
        await self._store.release(service, environment, token=token, deployment=deployment)

    async def in_flight(self, service: str, environment: str) -> InFlight | None:
        return await self._store.in_flight(service, environment)


class NoticedIncidents:
    def __init__(self, store: IncidentStore, changed: Changed) -> None:
        self._store = store
        self._changed = changed

    async def save(self, incident: Incident) -> None:
        await self._store.save(incident)
        await self._changed()

    async def get(self, incident_id: str) -> Incident | None:
        return await self._store.get(incident_id)

    async def by_channel(self, channel: str) -> Incident | None:
        return await self._store.by_channel(channel)

    async def by_request(self, message_id: str) -> str | None:
        return await self._store.by_request(message_id)

    async def claim_request(self, message_id: str, incident_id: str) -> str:
        return await self._store.claim_request(message_id, incident_id)

    async def open_ids(self) -> list[str]:
        return await self._store.open_ids()

    async def append(self, incident_id: str, event: Event) -> bool:
        return await self._store.append(incident_id, event)

    async def timeline(self, incident_id: str) -> list[Event]:
        return await self._store.timeline(incident_id)


class NoticedTodos:
    def __init__(self, store: TodoStore, changed: Changed) -> None:
        self._store = store
        self._changed = changed

    async def save(self, place: Place, todos: Sequence[Todo]) -> None:
        await self._store.save(place, todos)
        await self._changed()

    async def load(self, place: Place) -> list[Todo]:
        return await self._store.load(place)

    async def open_threads(self, channel: str) -> list[SlackThread]:
        return await self._store.open_threads(channel)
