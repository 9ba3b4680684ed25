"""Commands as data: one frozen dataclass per sentence of the chat grammar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MemoryType = Literal[
    "pattern", "architecture", "guideline", "mistake", "strategy", "integration", "performance", "context"
]
MEMORY_TYPES: tuple[MemoryType, ...] = (
    "pattern",
    "architecture",
    "guideline",
    "mistake",
    "strategy",
    "integration",
    "performance",
    "context",
)


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Deploy:
    service: str | None  # None on a PR/MR: the repository's own service
    ref: str | None  # None: the default branch, or the PR/MR head
    environment: str


@dataclass(frozen=True)
class Rollback:
    service: str
    environment: str


@dataclass(frozen=True)
class Approve:
    approval_id: str | None = None  # None: the pending approval in this thread


@dataclass(frozen=True)
class Status:
    service: str | None = None


@dataclass(frozen=True)
class Lock:
    environment: str
    service: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Unlock:
    environment: str
    service: str | None = None


@dataclass(frozen=True)
class Locks:
    pass


@dataclass(frozen=True)
class IncidentDeclare:
    title: str
    severity: int = 3


@dataclass(frozen=True)
class IncidentUpdate:
    text: str


@dataclass(frozen=True)
class IncidentCommander:
    user: str  # Slack user id


@dataclass(frozen=True)
class IncidentSnooze:
    minutes: int | None = None


@dataclass(frozen=True)
class IncidentResolve:
    summary: str | None = None


@dataclass(frozen=True)
class Remember:
    type: MemoryType
    text: str


@dataclass(frozen=True)
class Memories:
    type: MemoryType | None = None


@dataclass(frozen=True)
class Forget:
    memory_id: str


@dataclass(frozen=True)
class Todos:
    pass


Command = (
    Help
    | Deploy
    | Rollback
    | Approve
    | Status
    | Lock
    | Unlock
    | Locks
    | IncidentDeclare
    | IncidentUpdate
    | IncidentCommander
    | IncidentSnooze
    | IncidentResolve
    | Remember
    | Memories
    | Forget
    | Todos
)


@dataclass(frozen=True)
class FreeText:
    """Not a command: the words go to the Ops agent."""

    text: str


@dataclass(frozen=True)
class Malformed:
    """A command word whose arguments don't fit; ``usage`` shows the right form."""

    problem: str
    usage: str


Parsed = Command | FreeText | Malformed
