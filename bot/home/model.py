"""What a Home shows, and the two jobs that keep it fresh.

Values in the Home's own vocabulary: the composition root reads them out of the deploys,
incidents and todos stores (features don't import each other). People are named by their
ops.yaml handle (``U…``, ``github:login``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from bot import json_fields

# Slack action ids of the Home's buttons: wire strings the Slack handler routes on, never renamed.
HOME_APPROVE_ACTION = "opsbot_home_approve"
HOME_DENY_ACTION = "opsbot_home_deny"
HOME_UNLOCK_ACTION = "opsbot_home_unlock"

HomeActionName = Literal["approve", "deny", "unlock"]
HOME_ACTIONS: tuple[HomeActionName, ...] = get_args(HomeActionName)
ACTION_IDS: dict[str, HomeActionName] = {
    HOME_APPROVE_ACTION: "approve",
    HOME_DENY_ACTION: "deny",
    HOME_UNLOCK_ACTION: "unlock",
}

# How many of each part one Home lists before it says how many more there are: what fits in
# one screen, and with the headings well inside Block Kit's 100 blocks per view.
APPROVALS_SHOWN = 10
LOCKS_SHOWN = 15
INCIDENTS_SHOWN = 10
DEPLOYS_SHOWN = 40
TODO_LISTS_SHOWN = 10


@dataclass(frozen=True)
class WaitingApproval:
    id: str
    service: str
    environment: str
    ref: str
    sha: str
    requester: str  # handle
    expires_at: float
    rollback: bool = False


@dataclass(frozen=True)
class HeldLock:
    environment: str
    service: str | None  # None: the whole environment
    holder: str  # handle
    reason: str | None
    since: float

    @property
    def words(self) -> str:
        """The words after ``unlock`` that release it."""
        return f"{self.environment} {self.service}" if self.service else self.environment


@dataclass(frozen=True)
class OpenIncident:
    id: str
    title: str
    severity: int
    channel: str | None  # Slack channel id, once it has one
    commander: str | None  # handle; None until someone takes an incident an alert opened
    declared_at: float


@dataclass(frozen=True)
class LatestDeploy:
    service: str
    environment: str
    ref: str
    sha: str
    status: str  # as the forge reported it: pending, queued, in_progress, success, failure…
    requester: str  # handle
    created_at: float
    url: str | None = None
    rollback: bool = False


@dataclass(frozen=True)
class OpenTodoList:
    channel: str
    thread_ts: str | None  # None: the channel's own list (an incident's, a task asked by slash command)
    done: int
    total: int
    next_item: str  # the first item not completed, "[Ops] …"
    link: str | None = None  # a link people can click to the thread, when Slack gave one


@dataclass(frozen=True)
class Home:
    """One person's Home at ``at``; each part holds everything found, newest or most urgent first."""

    viewer: str  # Slack user id
    at: float
    approvals: tuple[WaitingApproval, ...] = ()
    locks: tuple[HeldLock, ...] = ()
    incidents: tuple[OpenIncident, ...] = ()
    deploys: tuple[LatestDeploy, ...] = ()
    todos: tuple[OpenTodoList, ...] = ()
    todos_unread: int = 0  # threads with open todos beyond those read
    channels_known: bool = True  # False: Slack didn't say which channels the viewer is in
    notice: str | None = None  # what the viewer's last click on the Home came to


@dataclass(frozen=True)
class HomeRefresh:
    """Publish the Home of ``viewer`` (who just opened it, when ``opened``), or of every recent viewer."""

    KIND: ClassVar[str] = "home.refresh"  # as a job's kind: a wire string, never renamed

    viewer: str | None = None  # None: everyone who opened their Home lately
    opened: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"viewer": self.viewer, "opened": self.opened}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HomeRefresh:
        return cls(json_fields.optional_text(data, "viewer"), json_fields.flag(data, "opened"))


@dataclass(frozen=True)
class HomeAction:
    """A click on one of the Home's buttons: the clicker typing ``<action> <value>``."""

    KIND: ClassVar[str] = "home.action"

    user: str  # the clicker's Slack user id
    action: HomeActionName
    value: str  # the button's value: an approval id, or the words naming a lock
    click_id: str  # the click's trigger id or action ts: one job per click

    @property
    def text(self) -> str:
        return " ".join([self.action, *self.value.split()])  # the words as the grammar reads them

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user, "action": self.action, "value": self.value, "click_id": self.click_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HomeAction:
        return cls(
            user=json_fields.text(data, "user"),
            action=json_fields.one_of(data, "action", HOME_ACTIONS),
            value=json_fields.text(data, "value"),
            click_id=json_fields.text(data, "click_id"),
        )
