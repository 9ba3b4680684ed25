"""What a deploy is made of: its target, its plan, the deployment a forge made, the claim while in flight, locks.

Plain frozen values, shared by the deploy service, its commands and the stores
that keep them; nothing here decides anything.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.config import Environment, Service
from bot.forges import ForgeName
from bot.model import Person, Place


@dataclass(frozen=True)
class Target:
    service: Service
    environment: Environment

    @property
    def forge(self) -> ForgeName:
        return "github" if self.service.github else "gitlab"

    @property
    def repo(self) -> str:
        return self.service.github or self.service.gitlab or ""


@dataclass(frozen=True)
class Plan:
    """A deploy that passed its checks: who, what, which commit, where to report."""

    requester: Person
    target: Target
    ref: str
    sha: str
    origin: Place
    status_key: str  # reply key of the status message at the origin
    rollback_of: str | None = None


@dataclass(frozen=True)
class Deployment:
    forge: ForgeName
    repo: str
    forge_id: str  # GitHub deployment id, GitLab pipeline id
    service: str
    environment: str
    ref: str
    sha: str
    requester: Person
    origin: Place  # where the request came from; status goes back there
    status_key: str  # reply key of the status message at the origin
    status: str = "pending"
    url: str | None = None
    created_at: float = 0.0
    rollback_of: str | None = None

    @property
    def key(self) -> str:
        return f"{self.forge}:{self.repo}:{self.forge_id}"


@dataclass(frozen=True)
class InFlight:
    """The one deploy of a service to an environment that is under way, or waiting for approval."""

    token: str  # who holds the claim: an approval id, or a random one for a direct deploy
    service: str
    environment: str
    ref: str
    sha: str
    requester: Person
    origin: Place  # where it was asked, without a slash command's response_url
    until: float  # the claim lapses at this time (epoch seconds)
    approval: str | None = None  # the pending approval's id while it waits for one
    deployment: str | None = None  # Deployment.key once the forge has it
    url: str | None = None  # the forge's page for it

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(8)


@dataclass(frozen=True)
class NewDeployment:
    """What a forge is asked to create."""

    repo: str
    ref: str
    sha: str
    environment: str
    service: str
    requester: Person
    protected: bool
    report_to: Place


@dataclass(frozen=True)
class LockScope:
    environment: str
    service: str | None = None  # None: the whole environment

    @property
    def label(self) -> str:
        return f"{self.environment}/{self.service}" if self.service else f"{self.environment} (all services)"


@dataclass(frozen=True)
class Lock:
    scope: LockScope
    holder: Person
    reason: str | None
    since: float
