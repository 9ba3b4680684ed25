"""One person's Home: what is waiting for them, published when they look and again when it changes.

What is theirs, read fresh each time from the other features' records:

- approvals waiting for them: open requests to an environment they approve, asked by someone else;
- their own locks;
- every open incident, the most severe first;
- the latest deploy of each service to each environment, the newest first;
- the open ``[Ops]`` todo lists in the channels they are in (Slack's answer, kept two minutes).

Opening the tab is a job (the event is acknowledged at once) that publishes the Home and
remembers the viewer for a day. Whatever a Home shows changing calls :meth:`Homes.changed`,
which schedules one delayed job that refreshes every recent viewer: a burst of changes (a deploy's
statuses, an approval and the deployment it creates) is one refresh per viewer, showing where the
burst ended. An approval request expiring changes nothing in a store, so opening one also schedules
a refresh for when it expires (:meth:`Homes.changes_at`). A Home that can't be published is
logged and left for the next change or visit; retrying would only repeat what the next refresh
does anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.commands.names import is_name
from bot.config import OpsConfig
from bot.errors import OpsbotError, UpstreamError
from bot.failures import new_error_id
from bot.home.model import (
    TODO_LISTS_SHOWN,
    HeldLock,
    Home,
    HomeAction,
    HomeRefresh,
    LatestDeploy,
    OpenIncident,
    OpenTodoList,
    WaitingApproval,
)
from bot.home.ports import Commands, HomeSources, HomeTabs, HomeViewers, Memberships, ThreadLinks
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue
from bot.model import Answer, ChatMessage, Person, SlackThread
from bot.ports import Marks

log = logging.getLogger(__name__)

VIEWER_TTL = 24 * 3600.0  # a Home opened within this is kept fresh
CHANNELS_TTL = 120.0  # seconds Slack's list of a person's channels is trusted
LINK_TTL = 24 * 3600.0  # a thread's permalink doesn't change
NOTICE_TTL = 15 * 60.0  # how long a click's outcome stays at the top of the Home
CLICK_TTL = 24 * 3600.0  # a click carried out is not carried out again (a re-run job)
TODO_LISTS_READ = 30  # lists read per Home; the rest are counted
REFRESH_DELAY = 3.0  # seconds a refresh waits for the rest of a burst of changes
# Marks (bot.ports.Marks) this feature names.
CHANNELS_MARK, LINK_MARK, NOTICE_MARK, CLICK_MARK = "home-channels:", "home-link:", "home-notice:", "home-click:"


@dataclass(frozen=True)
class Everything:
    """What every Home is picked from, read once per refresh however many Homes it makes."""

    approvals: list[WaitingApproval]
    locks: list[HeldLock]
    incidents: list[OpenIncident]
    deploys: list[LatestDeploy]


class Homes:
    def __init__(
        self,
        sources: HomeSources,
        viewers: HomeViewers,
        marks: Marks,
        queue: JobQueue,
        config: OpsConfig,
        clock: Callable[[], float],
        *,
        tabs: HomeTabs | None = None,
        memberships: Memberships | None = None,
        links: ThreadLinks | None = None,
        refresh_delay: float = REFRESH_DELAY,
    ) -> None:
        self._sources = sources
        self._viewers = viewers
        self._marks = marks
        self._queue = queue
        self._config = config
        self._clock = clock
        self._tabs = tabs
        self._memberships = memberships
        self._links = links
        self._delay = refresh_delay
        # The command table's runner, wired once ChatOps exists (it is built after the stores this
        # feature's news comes from); until then a click is answered that nothing can be run.
        self.commands: Commands | None = None

    # -- what is theirs ---------------------------------------------------------------------
    async def everything(self) -> Everything:
        approvals, locks, incidents, deploys = await asyncio.gather(
            self._sources.waiting_approvals(),
            self._sources.locks(),
            self._sources.open_incidents(),
            self._sources.latest_deploys(),
        )
        return Everything(approvals, locks, incidents, deploys)

    async def home_for(self, user: str, everything: Everything | None = None) -> Home:
        """``user``'s Home as of now."""
        found = everything if everything is not None else await self.everything()
        now = self._clock()
        channels = await self._channels_of(user)
        todos, unread = await self._todo_lists(channels or [])
        return Home(
            viewer=user,
            at=now,
            approvals=tuple(
                sorted((a for a in found.approvals if self._waits_for(a, user, now)), key=lambda a: a.expires_at)
            ),
            locks=tuple(
                sorted(
                    (lock for lock in found.locks if lock.holder == user),
                    key=lambda lock: (lock.environment, lock.service or ""),
                )
            ),
            incidents=tuple(sorted(found.incidents, key=lambda i: (i.severity, -i.declared_at))),
            deploys=tuple(sorted(found.deploys, key=lambda d: -d.created_at)),
            todos=tuple(todos),
            todos_unread=unread,
            channels_known=channels is not None,
            notice=await self._marks.get(NOTICE_MARK + user),
        )

    def _waits_for(self, approval: WaitingApproval, user: str, now: float) -> bool:
        """Theirs to decide: they approve that environment, someone else asked, and it hasn't expired."""
        environment = self._config.environments.get(approval.environment)
        return (
            environment is not None
            and user in environment.approvers
            and approval.requester != user
            and approval.expires_at > now
        )

    async def _channels_of(self, user: str) -> list[str] | None:
        """The channels ``user`` is in, from Slack at most every two minutes; None if Slack won't say."""
        cached = await self._marks.get(CHANNELS_MARK + user)
        if cached is not None:
            return [str(c) for c in json.loads(cached)]
        if self._memberships is None:
            return []
        try:
            channels = await self._memberships.channels_of(user)
        except UpstreamError as exc:
            log.warning("could not read a person's channels for their Home", extra={"user": user, "error": str(exc)})
            return None
        await self._marks.set(CHANNELS_MARK + user, CHANNELS_TTL, json.dumps(channels))
        return channels

    async def _todo_lists(self, channels: Sequence[str]) -> tuple[list[OpenTodoList], int]:
        if not channels:
            return [], 0
        lists, unread = await self._sources.open_todo_lists(channels, TODO_LISTS_READ)
        shown = await asyncio.gather(*(self._linked(each) for each in lists[:TODO_LISTS_SHOWN]))
        return [*shown, *lists[TODO_LISTS_SHOWN:]], unread

    async def _linked(self, todos: OpenTodoList) -> OpenTodoList:
        if todos.link or todos.thread_ts is None or self._links is None:
            return todos
        mark = f"{LINK_MARK}{todos.channel}:{todos.thread_ts}"
        url = await self._marks.get(mark)
        if url is None:
            url = await self._links(todos.channel, todos.thread_ts) or ""
            await self._marks.set(mark, LINK_TTL, url)
        return replace(todos, link=url or None)

    # -- publishing -------------------------------------------------------------------------
    async def opened(self, user: str) -> None:
        """``user`` opened their Home: show it, and keep it fresh for a day."""
        await self._viewers.seen(user, self._clock() + VIEWER_TTL)
        await self._publish(await self.home_for(user))

    async def refresh(self, request: HomeRefresh) -> None:
        if request.viewer is not None and request.opened:
            await self.opened(request.viewer)
            return
        users = [request.viewer] if request.viewer is not None else await self._viewers.recent(self._clock())
        if not users:
            return
        everything = await self.everything()
        for user in users:
            await self._publish(await self.home_for(user, everything))

    async def _publish(self, home: Home) -> None:
        if self._tabs is None:
            return
        try:
            await self._tabs.publish(home)
        except UpstreamError as exc:
            error_id = new_error_id()
            log.warning(
                "could not publish a Home; the next change or visit publishes it again",
                extra={"user": home.viewer, "error": str(exc), "error_id": error_id},
            )

    async def changed(self) -> None:
        """Something a Home shows changed: refresh every recent viewer's Home once the burst is over.

        Called after a change has been made, from whatever made it: a missed refresh must not undo
        or repeat that, so a store that can't be reached here is logged, not raised.
        """
        try:
            if not await self._viewers.recent(self._clock()):
                return
            if await self._viewers.hold_refresh(self._delay):
                await self._queue.enqueue(Job.of(HomeRefresh()), delay=self._delay)
        except OpsbotError as exc:
            log.warning("could not schedule a refresh of the Homes", extra={"error": str(exc)})

    async def changes_at(self, when: float) -> None:
        """Something Homes show changes by itself at ``when`` (an approval request expires): refresh
        every recent viewer's Home then. Logged, not raised, as :meth:`changed`."""
        try:
            if await self._viewers.recent(self._clock()):
                delay = max(0.0, when - self._clock()) + self._delay
                await self._queue.enqueue(Job.of(HomeRefresh()), delay=delay)
        except OpsbotError as exc:
            log.warning("could not schedule a refresh of the Homes", extra={"error": str(exc)})

    # -- the Home's buttons -----------------------------------------------------------------
    async def clicked(self, action: HomeAction) -> None:
        """A Home button: the clicker's own command (same checks, same path as typing it), its answer
        shown at the top of their Home."""
        if await self._marks.get(CLICK_MARK + action.click_id) is None:
            answer = await self._answer(action)
            await self._marks.set(CLICK_MARK + action.click_id, CLICK_TTL)
            await self._marks.set(NOTICE_MARK + action.user, NOTICE_TTL, answer)
        await self._publish(await self.home_for(action.user))

    async def failed(self, action: HomeAction, text: str) -> None:
        """The click's job gave up (an upstream kept failing): say so where it was clicked."""
        await self._marks.set(NOTICE_MARK + action.user, NOTICE_TTL, text)
        await self._publish(await self.home_for(action.user))

    async def _answer(self, action: HomeAction) -> str:
        words = action.value.split()
        # The value is the button's, and buttons are opsbot's; a value that isn't names (a forged
        # payload) never reaches the grammar, so the text is always the one command it names.
        if not 1 <= len(words) <= 2 or not all(is_name(word) for word in words):
            return "That button doesn't name anything opsbot knows; nothing was done."
        if self.commands is None:
            return "opsbot can't carry out commands from the Home right now; nothing was done."
        message = ChatMessage(
            id=f"slack:home-action:{action.click_id}",
            author=Person("slack", action.user),
            # A Home click happens in no channel; the person's own conversation with opsbot stands
            # for it. Nothing is posted there: the answer is shown on the Home.
            place=SlackThread(channel=action.user),
            text=action.text,
            via="slash",
        )
        answer = await self.commands(message)
        return answer.text if isinstance(answer, Answer) else answer
