"""The deploys package's ports: the forge that deploys, the stores of deployments, locks, approvals and audit,
and the deploy form on someone's screen.

``bot.clients`` implements :class:`Forge` and :class:`BranchLister` for GitHub and GitLab and
:class:`FormView` for Slack, ``bot.stores`` the rest over Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.conversation.readers import Check
from bot.deploys.approvals import PendingApproval
from bot.deploys.audit import AuditEntry
from bot.deploys.form import DeployForm, OpenView
from bot.deploys.model import Deployment, InFlight, Lock, LockScope, NewDeployment
from bot.forges import ForgeAccess
from bot.model import Person, Place


class Forge(ForgeAccess, Protocol):
    """A forge as deploys use it; push access (:meth:`may_push`) is the shared :class:`bot.forges.ForgeAccess`."""

    async def resolve(self, repo: str, ref: str | None) -> tuple[str, str]:
        """(ref, sha) for ``ref``, or for the default branch when None."""

    async def change_head(self, repo: str, number: int) -> tuple[str, str]:
        """(branch, sha) at the head of pull/merge request ``number``."""

    async def create(self, new: NewDeployment) -> tuple[str, str | None]:
        """Create the deployment; its forge id and a URL to it."""

    async def checks(self, repo: str, sha: str) -> tuple[Check, ...]:
        """CI results on commit ``sha`` of ``repo``."""


class BranchLister(Protocol):
    """A repository's branches, for a form to choose from (apart from :class:`Forge`, which every
    forge implements: a forge that can't list branches still deploys a ref typed by hand)."""

    async def list_branches(self, repo: str, limit: int) -> tuple[str, ...]:
        """At most ``limit`` branch names of ``repo``, its default branch first."""


class FormView(Protocol):
    """A deploy form open on someone's screen (a Slack modal), changed in place."""

    async def show(self, view: OpenView, form: DeployForm) -> bool:
        """Show ``form`` in ``view``; False when that view is no longer there to change (closed, or
        changed since ``view.version``)."""

    async def finish(self, view: OpenView, text: str) -> bool:
        """Replace the form with ``text``, leaving nothing to submit; False as for :meth:`show`."""


class DeploymentStore(Protocol):
    async def save(self, deployment: Deployment) -> None: ...

    async def get(self, key: str) -> Deployment | None: ...

    async def update(
        self, key: str, change: Callable[[Deployment], Deployment]
    ) -> tuple[Deployment, Deployment] | None:
        """Apply ``change`` to the record atomically (two workers relaying two statuses of one
        deployment must not overwrite each other); (before, after), or None if there is no record."""

    async def history(self, service: str, environment: str, limit: int) -> list[Deployment]:
        """Newest first."""

    async def claim(self, flight: InFlight, now: float) -> InFlight | None:
        """Hold the service and environment for ``flight``, atomically: None when it is now held
        under ``flight.token`` (newly, or renewed), else the other deploy that holds it. A claim
        whose ``until`` has passed is free."""

    async def release(
        self, service: str, environment: str, *, token: str | None = None, deployment: str | None = None
    ) -> None:
        """Free the claim if it is still held under ``token`` (or for ``deployment``)."""

    async def in_flight(self, service: str, environment: str) -> InFlight | None: ...


class LockStore(Protocol):
    async def acquire(self, lock: Lock) -> Lock:
        """Take ``lock`` unless someone else holds its scope; the lock now held."""

    async def release(self, scope: LockScope, holder: Person | None) -> Lock | None:
        """Release ``scope`` if ``holder`` holds it (None: whoever does); the lock released."""

    async def holding(self, scope: LockScope) -> Lock | None: ...

    async def all(self) -> list[Lock]: ...


class ApprovalStore(Protocol):
    async def open(self, approval: PendingApproval) -> None: ...

    async def latest_for(self, place: Place) -> PendingApproval | None:
        """The newest approval still open that was requested at ``place``."""

    async def get(self, approval_id: str) -> PendingApproval | None: ...

    async def close(self, approval_id: str) -> PendingApproval | None:
        """Remove and return it; None if it was already closed (or never existed)."""


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def recent(self, limit: int, *, service: str | None = None) -> list[AuditEntry]:
        """Newest first; with ``service``, only entries about it (or its whole environment)."""


class DeployNews(Protocol):
    """Who hears that a deploy or rollback started or finished: open incidents, as the composition root wires
    it, so deploys need not know incidents exist. ``key`` is unique to the news, so hearing it twice is once."""

    async def __call__(self, key: str, text: str) -> None: ...
