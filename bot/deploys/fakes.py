"""In-memory deploy ports beside their Protocols: deployments and claims, locks, approvals, the audit
trail, a forge, and a form on someone's screen.

Each store keeps its Redis twin's semantics (expiry on an injected clock, the
claim's compare-and-set, lock ownership by handle, one close per approval,
capped history and trail); ``tests/contracts`` runs both through one suite.
The forge answers from what it was told: branches, who may push, CI results. The form view
keeps what it was last told to show, as a modal would, until the person closes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from bot.conversation.readers import Check
from bot.deploys.approvals import PendingApproval
from bot.deploys.audit import AuditEntry
from bot.deploys.form import DeployForm, OpenView
from bot.deploys.model import Deployment, InFlight, Lock, LockScope, NewDeployment
from bot.errors import UpstreamRejected
from bot.fakes import Clock, Expiring, whole_seconds
from bot.model import Person, Place, thread_key

KEEP = 90 * 24 * 3600  # seconds a deployment record is kept
HISTORY = 200  # deployments kept per service and environment
LINGER = 60  # seconds a lapsed claim is still readable past its ``until``
AUDIT_ENTRIES = 50_000
AUDIT_SCAN = 1_000  # newest entries looked through when filtering by service


class FakeDeploymentStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._records: Expiring[str, Deployment] = Expiring(clock)
        self._history: dict[tuple[str, str], dict[str, float]] = {}
        self._flights: Expiring[tuple[str, str], InFlight] = Expiring(clock)

    async def save(self, deployment: Deployment) -> None:
        self._records.put(deployment.key, deployment, KEEP)
        history = self._history.setdefault((deployment.service, deployment.environment), {})
        history[deployment.key] = deployment.created_at
        for key in _newest_first(history)[HISTORY:]:
            del history[key]

    async def get(self, key: str) -> Deployment | None:
        return self._records.get(key)

    async def update(
        self, key: str, change: Callable[[Deployment], Deployment]
    ) -> tuple[Deployment, Deployment] | None:
        before = self._records.get(key)
        if before is None:
            return None
        after = change(before)
        if after is not before:
            await self.save(after)
        return before, after

    async def history(self, service: str, environment: str, limit: int) -> list[Deployment]:
        keys = _newest_first(self._history.get((service, environment), {}))[:limit]
        return [found for key in keys if (found := self._records.get(key)) is not None]

    async def claim(self, flight: InFlight, now: float) -> InFlight | None:
        where = (flight.service, flight.environment)
        holder = self._flights.get(where)
        if holder is not None and holder.token != flight.token and holder.until > now:
            return holder
        self._flights.put(where, flight, max(flight.until - now, 0.0) + LINGER)
        return None

    async def release(
        self, service: str, environment: str, *, token: str | None = None, deployment: str | None = None
    ) -> None:
        holder = self._flights.get((service, environment))
        if holder is None:
            return
        if (token is not None and holder.token == token) or (
            token is None and deployment is not None and holder.deployment == deployment
        ):
            self._flights.pop((service, environment))

    async def in_flight(self, service: str, environment: str) -> InFlight | None:
        return self._flights.get((service, environment))


def _newest_first(scores: dict[str, float]) -> list[str]:
    # A sorted set's reverse order: by score, ties by member, both descending.
    return sorted(scores, key=lambda key: (scores[key], key), reverse=True)


class FakeLockStore:
    """Locks by scope; whoever holds one is named by ``Person.handle``, as in the Redis hash."""

    def __init__(self) -> None:
        self._locks: dict[LockScope, Lock] = {}

    async def acquire(self, lock: Lock) -> Lock:
        held = self._locks.get(lock.scope)
        if held is None or held.holder.handle == lock.holder.handle:
            self._locks[lock.scope] = lock
        return self._locks[lock.scope]

    async def release(self, scope: LockScope, holder: Person | None) -> Lock | None:
        held = self._locks.get(scope)
        if held is None or (holder is not None and held.holder.handle != holder.handle):
            return None
        return self._locks.pop(scope)

    async def holding(self, scope: LockScope) -> Lock | None:
        return self._locks.get(scope)

    async def all(self) -> list[Lock]:
        # The Redis store lists by key, ``environment:service`` with ``*`` for a whole environment.
        return sorted(self._locks.values(), key=lambda lock: f"{lock.scope.environment}:{lock.scope.service or '*'}")


class FakeApprovalStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._approvals: Expiring[str, PendingApproval] = Expiring(clock)
        self._latest: Expiring[str, str] = Expiring(clock)

    async def open(self, approval: PendingApproval) -> None:
        ttl = whole_seconds(approval.expires_at - self._clock())
        self._approvals.put(approval.id, approval, ttl)
        self._latest.put(thread_key(approval.origin), approval.id, ttl)

    async def latest_for(self, place: Place) -> PendingApproval | None:
        found = self._latest.get(thread_key(place))
        return None if found is None else self._approvals.get(found)

    async def get(self, approval_id: str) -> PendingApproval | None:
        return self._approvals.get(approval_id)

    async def close(self, approval_id: str) -> PendingApproval | None:
        return self._approvals.pop(approval_id)


class FakeAuditLog:
    """The trail newest first, capped like the Redis stream (exactly, where Redis trims roughly)."""

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        # Redis keeps every field as text: ``at`` comes back a float, an empty scope as None.
        self._entries.append(
            replace(entry, at=float(entry.at), environment=entry.environment or None, service=entry.service or None)
        )
        del self._entries[:-AUDIT_ENTRIES]

    async def recent(self, limit: int, *, service: str | None = None) -> list[AuditEntry]:
        newest = self._entries[::-1]
        if service is None:
            return newest[:limit]
        about = [e for e in newest[:AUDIT_SCAN] if e.service in (None, service)]
        return about[:limit]


class FakeForge:
    """A forge holding repositories with branches; it refuses what a real one would (404s, 422s)."""

    def __init__(self) -> None:
        self.branches: dict[str, dict[str, str]] = {}  # repo -> branch -> sha; the first is the default
        self.heads: dict[tuple[str, int], tuple[str, str]] = {}  # (repo, PR/MR) -> (branch, sha)
        self.writers: dict[str, set[str]] = {}  # repo -> handles that may push
        self.ci: dict[tuple[str, str], tuple[Check, ...]] = {}
        self.created: list[NewDeployment] = []
        self.permission_error: Exception | None = None  # raised by may_push, when set
        self.refuse_next_create = False

    def add_repo(self, repo: str, *, main: str = "a" * 40, writers: tuple[Person, ...] = ()) -> None:
        self.branches[repo] = {"main": main}
        self.writers[repo] = {person.handle for person in writers}

    async def resolve(self, repo: str, ref: str | None) -> tuple[str, str]:
        branches = self._repo(repo)
        if ref is None:
            return next(iter(branches.items()))
        if ref in branches:
            return ref, branches[ref]
        sha = next((sha for sha in branches.values() if len(ref) >= 7 and sha.startswith(ref)), None)
        if sha is None:
            raise UpstreamRejected("forge", f"no ref {ref} in {repo}", status=422)
        return ref, sha

    async def change_head(self, repo: str, number: int) -> tuple[str, str]:
        self._repo(repo)
        if (repo, number) not in self.heads:
            raise UpstreamRejected("forge", f"no change {number} in {repo}", status=404)
        return self.heads[(repo, number)]

    async def may_push(self, repo: str, person: Person) -> bool:
        if self.permission_error is not None:
            raise self.permission_error
        return person.handle in self.writers.get(repo, set())

    async def create(self, new: NewDeployment) -> tuple[str, str | None]:
        self._repo(new.repo)
        if self.refuse_next_create:
            self.refuse_next_create = False
            raise UpstreamRejected("forge", "the deployment was refused", status=422)
        self.created.append(new)
        forge_id = str(len(self.created))
        return forge_id, f"https://forge.test/{new.repo}/deployments/{forge_id}"

    async def checks(self, repo: str, sha: str) -> tuple[Check, ...]:
        self._repo(repo)
        return self.ci.get((repo, sha), ())

    async def list_branches(self, repo: str, limit: int) -> tuple[str, ...]:
        return tuple(self._repo(repo))[:limit]  # the default branch is the first

    def _repo(self, repo: str) -> dict[str, str]:
        if repo not in self.branches:
            raise UpstreamRejected("forge", f"no repository {repo}", status=404)
        return self.branches[repo]


class FakeFormView:
    """Open forms by id: what each shows now, and every form or text it was given, in order."""

    def __init__(self) -> None:
        self.open: dict[str, DeployForm | str] = {}
        self.versions: dict[str, str] = {}  # a view changed by anything else than opsbot has a new version
        self.shown: list[DeployForm | str] = []

    def opened(self, view_id: str, version: str = "1") -> OpenView:
        self.open[view_id], self.versions[view_id] = "Loading…", version
        return OpenView(view_id, version)

    def close(self, view_id: str) -> None:
        self.open.pop(view_id, None)

    async def show(self, view: OpenView, form: DeployForm) -> bool:
        return self._change(view, form)

    async def finish(self, view: OpenView, text: str) -> bool:
        return self._change(view, text)

    def _change(self, view: OpenView, content: DeployForm | str) -> bool:
        if view.id not in self.open or view.version not in (None, self.versions[view.id]):
            return False
        self.open[view.id] = content
        self.versions[view.id] = str(int(self.versions[view.id]) + 1)
        self.shown.append(content)
        return True
