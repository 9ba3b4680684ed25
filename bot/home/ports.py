"""What the Home reads and where it goes: the other features' records, Slack, and who looked lately.

The composition root (``handlers.home_wiring``) implements :class:`HomeSources` over the deploys,
incidents and todos stores; the Slack client implements :class:`Memberships`, :class:`HomeTabs`
and :class:`ThreadLinks`; ``bot.stores.home`` keeps :class:`HomeViewers` in Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.home.model import (
    HeldLock,
    Home,
    LatestDeploy,
    OpenIncident,
    OpenTodoList,
    WaitingApproval,
)
from bot.model import Answer, ChatMessage

VIEWERS_KEPT = 5_000  # the viewers kept fresh, those seen last; older ones wait for their next visit


class HomeSources(Protocol):
    """Everything a Home may show, for everyone: :class:`bot.home.homes.Homes` picks what is one person's."""

    async def waiting_approvals(self) -> list[WaitingApproval]:
        """Every approval request still open."""

    async def locks(self) -> list[HeldLock]: ...

    async def open_incidents(self) -> list[OpenIncident]: ...

    async def latest_deploys(self) -> list[LatestDeploy]:
        """The newest deploy of each service to each of its environments."""

    async def open_todo_lists(self, channels: Sequence[str], limit: int) -> tuple[list[OpenTodoList], int]:
        """The lists with open todos in ``channels`` (an incident channel's own, then threads, the newest
        first), at most ``limit`` of them read; and how many more threads those channels list as having
        open todos."""


class Memberships(Protocol):
    async def channels_of(self, user: str) -> list[str]:
        """The ids of the channels Slack user ``user`` is a member of (and opsbot can see)."""


class ThreadLinks(Protocol):
    async def __call__(self, channel: str, thread_ts: str) -> str | None:
        """A link people can click to a Slack thread; None when Slack gives none."""


class HomeTabs(Protocol):
    async def publish(self, home: Home) -> None:
        """Show ``home`` as its viewer's Home tab, replacing what was there."""


class HomeViewers(Protocol):
    """Who opened their Home lately, and the one refresh of them all that is due."""

    async def seen(self, user: str, until: float) -> None:
        """``user`` opened their Home: refresh it when something changes, until ``until``."""

    async def recent(self, now: float) -> list[str]:
        """Everyone whose Home is still kept fresh at ``now``."""

    async def hold_refresh(self, seconds: float) -> bool:
        """True for the first caller in ``seconds``, who schedules the refresh; False for the rest.
        The hold ends no later than ``seconds`` from now: a change that finds it held is one the
        scheduled refresh, due then, will read."""


class Commands(Protocol):
    """A message run through the command table, answered without posting (ChatOps, as the root wires it)."""

    async def __call__(self, message: ChatMessage) -> Answer | str: ...
