"""The Home tab wired to the features it shows, which don't know it exists.

:class:`HomeReadings` reads the deploys, incidents and todos stores into the Home's own values
(features don't import each other). The rest of opsbot is built on those same stores wrapped by
:mod:`handlers.home_news`, which tell the Home after each write that changed something it shows,
so no feature has to announce anything. Without Slack there is no Home, and the stores go unwrapped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as redis

from bot.clients.slack_home import SlackHomeTab
from bot.config import OpsConfig
from bot.deploys.approvals import PendingApproval
from bot.deploys.model import Deployment
from bot.deploys.ports import ApprovalStore, DeploymentStore, LockStore
from bot.home.homes import Homes
from bot.home.model import HeldLock, LatestDeploy, OpenIncident, OpenTodoList, WaitingApproval
from bot.incidents.model import Incident
from bot.incidents.ports import IncidentStore
from bot.jobs.ports import JobQueue
from bot.model import SlackThread
from bot.ports import Marks
from bot.stores.approvals import RedisApprovalStore
from bot.stores.deploys import RedisDeploymentStore
from bot.stores.home import RedisHomeViewers
from bot.stores.incidents import RedisIncidentStore
from bot.stores.locks import RedisLockStore
from bot.stores.todos import RedisTodoStore
from bot.todos.lists import Todo, every_item
from bot.todos.ports import ThreadLinks, TodoStore
from handlers.home_news import NoticedApprovals, NoticedDeployments, NoticedIncidents, NoticedLocks, NoticedTodos

A = TypeVar("A")
T = TypeVar("T")
READS_AT_ONCE = 16  # store reads one Home makes concurrently: a few connections, not hundreds


async def batched(read: Callable[[A], Awaitable[T]], items: Iterable[A]) -> list[T]:
    """``read`` of each item, in order, ``READS_AT_ONCE`` at a time."""
    pending, results = list(items), []
    for start in range(0, len(pending), READS_AT_ONCE):
        results += await asyncio.gather(*(read(item) for item in pending[start : start + READS_AT_ONCE]))
    return results


def todo_list(place: SlackThread, todos: Sequence[Todo]) -> OpenTodoList | None:
    items = every_item(todos)
    next_up = next((t for t in items if t.status != "completed"), None)
    if next_up is None:
        return None
    done = sum(t.status == "completed" for t in items)
    return OpenTodoList(place.channel, place.thread_ts, done, len(items), next_up.content)


def waiting_approval(a: PendingApproval) -> WaitingApproval:
    rollback = a.rollback_of is not None
    return WaitingApproval(a.id, a.service, a.environment, a.ref, a.sha, a.requester.handle, a.expires_at, rollback)


def latest_deploy(d: Deployment) -> LatestDeploy:
    who, rollback = d.requester.handle, d.rollback_of is not None
    return LatestDeploy(d.service, d.environment, d.ref, d.sha, d.status, who, d.created_at, d.url, rollback)


class HomeReadings:
    """:class:`bot.home.ports.HomeSources` over the features' stores."""

    def __init__(
        self,
        config: OpsConfig,
        approvals: ApprovalStore,
        deployments: DeploymentStore,
        locks: LockStore,
        incidents: IncidentStore,
        todos: TodoStore,
    ) -> None:
        self._config = config
        self._approvals = approvals
        self._deployments = deployments
        self._locks = locks
        self._incidents = incidents
        self._todos = todos

    def _targets(self, *, protected_only: bool = False) -> list[tuple[str, str]]:
        return [
            (service.name, environment)
            for service in self._config.services.values()
            for environment in service.environments
            if not protected_only or self._config.environments[environment].protected
        ]

    async def waiting_approvals(self) -> list[WaitingApproval]:
        # A request waiting for approval holds its service and environment's in-flight claim
        # (bot.deploys.in_flight), naming the approval: that is where open requests are found.
        async def waiting(target: tuple[str, str]) -> PendingApproval | None:
            flight = await self._deployments.in_flight(*target)
            return await self._approvals.get(flight.approval) if flight and flight.approval else None

        found = await batched(waiting, self._targets(protected_only=True))
        return [waiting_approval(a) for a in found if a is not None]

    async def locks(self) -> list[HeldLock]:
        return [
            HeldLock(lock.scope.environment, lock.scope.service, lock.holder.handle, lock.reason, lock.since)
            for lock in await self._locks.all()
        ]

    async def _open(self) -> list[Incident]:
        found = await batched(self._incidents.get, await self._incidents.open_ids())
        return [i for i in found if i is not None and i.status == "open"]

    async def open_incidents(self) -> list[OpenIncident]:
        return [
            OpenIncident(i.id, i.title, i.severity, i.channel, i.commander, i.declared_at) for i in await self._open()
        ]

    async def latest_deploys(self) -> list[LatestDeploy]:
        async def newest(target: tuple[str, str]) -> list[Deployment]:
            return await self._deployments.history(*target, 1)

        return [latest_deploy(d) for history in await batched(newest, self._targets()) for d in history]

    async def open_todo_lists(self, channels: Sequence[str], limit: int) -> tuple[list[OpenTodoList], int]:
        # An incident channel's threads share the channel's one list, so those come first; then the
        # threads the channels' indexes hold, the newest thread first. (A channel's own list outside
        # an incident, from a task asked by slash command, isn't indexed: reading every channel's
        # would cost a read per channel the person is in.)
        incident_rooms = {i.channel for i in await self._open() if i.channel}
        own = [SlackThread(channel) for channel in channels if channel in incident_rooms]
        indexed = await batched(self._todos.open_threads, channels)
        threads = sorted((t for each in indexed for t in each), key=lambda t: -_started(t))
        read = [*own, *threads][:limit]
        loaded = await batched(self._todos.load, read)
        lists = [found for place, todos in zip(read, loaded, strict=True) if (found := todo_list(place, todos))]
        return lists, len(threads) - sum(1 for place in read if place.thread_ts is not None)


def _started(thread: SlackThread) -> float:
    try:
        return float(thread.thread_ts or 0)
    except ValueError:
        return 0.0


@dataclass
class HomeWiring:
    """The Home (None without Slack) and the stores the rest of opsbot is built on."""

    homes: Homes | None
    approvals: ApprovalStore
    deployments: DeploymentStore
    locks: LockStore
    incidents: IncidentStore
    todos: TodoStore


def build_home(
    client: redis.Redis,
    config: OpsConfig,
    marks: Marks,
    queue: JobQueue,
    tab: SlackHomeTab | None,
    thread_links: ThreadLinks | None,
    clock: Callable[[], float],
    *,
    refresh_delay: float,
) -> HomeWiring:
    """The stores over ``client``; with Slack's Home ``tab``, the Home and the stores that tell it of changes."""
    approvals, deployments = RedisApprovalStore(client), RedisDeploymentStore(client)
    locks, incidents, todos = RedisLockStore(client), RedisIncidentStore(client), RedisTodoStore(client)
    if tab is None:
        return HomeWiring(None, approvals, deployments, locks, incidents, todos)

    async def link(channel: str, thread_ts: str) -> str | None:
        return await thread_links(SlackThread(channel, thread_ts)) if thread_links is not None else None

    homes = Homes(
        HomeReadings(config, approvals, deployments, locks, incidents, todos),
        RedisHomeViewers(client),
        marks,
        queue,
        config,
        clock,
        tabs=tab,
        memberships=tab,
        links=link,
        refresh_delay=refresh_delay,
    )
    changed = homes.changed
    return HomeWiring(
        homes,
        NoticedApprovals(approvals, changed, homes.changes_at),
        NoticedDeployments(deployments, changed),
        NoticedLocks(locks, changed),
        NoticedIncidents(incidents, changed),
        NoticedTodos(todos, changed),
    )
