"""Deploy locks: per environment and service, with an owner, a reason and a time.

A lock on an environment with no service holds every service there. Only
the holder releases a lock; an approver of the environment may break
someone else's, and the audit trail says so.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import OpsConfig
from bot.deploys.audit import AuditEntry
from bot.deploys.model import Lock, LockScope
from bot.deploys.ports import AuditLog, LockStore
from bot.errors import CommandError
from bot.model import Person


class Locking:
    def __init__(self, store: LockStore, audit: AuditLog, config: OpsConfig, clock: Callable[[], float]) -> None:
        self._store = store
        self._audit = audit
        self._config = config
        self._clock = clock

    def _check_scope(self, scope: LockScope) -> None:
        environment = self._config.environments.get(scope.environment)
        if environment is None:
            known = ", ".join(sorted(self._config.environments)) or "none are configured"
            raise CommandError(f"There is no environment called `{scope.environment}` (known: {known}).")
        if scope.service is not None:
            service = self._config.services.get(scope.service)
            if service is None:
                raise CommandError(f"There is no service called `{scope.service}`.")
            if scope.environment not in service.environments:
                raise CommandError(f"`{scope.service}` is not deployed to `{scope.environment}`.")

    def environments(self) -> list[str]:
        return list(self._config.environments)

    def may_lock(self, person: Person, environment: str) -> bool:
        """Who may deploy to an environment may hold deploys to it."""
        return self._config.environments[environment].may_deploy(person.handle)

    def may_break(self, person: Person, environment: str) -> bool:
        """An approver of the environment may release someone else's lock on it."""
        return self._config.environments[environment].may_approve(person.handle)

    async def _audit_entry(self, action: str, person: Person, scope: LockScope, detail: str) -> None:
        await self._audit.record(
            AuditEntry(action, person, detail, self._clock(), environment=scope.environment, service=scope.service)
        )

    async def lock(self, person: Person, scope: LockScope, reason: str | None) -> Lock:
        self._check_scope(scope)
        if not self.may_lock(person, scope.environment):
            await self._audit_entry("lock.refused", person, scope, "not a deployer of this environment")
            raise CommandError(f"You may not lock `{scope.environment}`: only its deployers may.")
        held = await self._store.acquire(Lock(scope, person, reason, self._clock()))
        if held.holder != person:
            await self._audit_entry("lock.refused", person, scope, f"held by {held.holder.handle}")
            raise LockedBySomeoneElse(held)
        await self._audit_entry("lock", person, scope, reason or "no reason given")
        return held

    async def unlock(self, person: Person, scope: LockScope) -> Lock:
        self._check_scope(scope)
        released = await self._store.release(scope, person)
        if released is not None:
            await self._audit_entry("unlock", person, scope, "released by its holder")
            return released
        held = await self._store.holding(scope)
        if held is None:
            raise CommandError(f"`{scope.label}` is not locked.")
        if not self.may_break(person, scope.environment):
            await self._audit_entry("unlock.refused", person, scope, f"held by {held.holder.handle}")
            raise LockedBySomeoneElse(held, hint="Only its holder or an approver of the environment can release it.")
        broken = await self._store.release(scope, None)
        await self._audit_entry("unlock.forced", person, scope, f"broke the lock of {held.holder.handle}")
        return broken or held

    async def blocking(self, person: Person, environment: str, service: str) -> Lock | None:
        """A lock held by someone else that stops ``person`` deploying ``service`` to ``environment``."""
        for scope in (LockScope(environment, None), LockScope(environment, service)):
            held = await self._store.holding(scope)
            if held is not None and held.holder != person:
                return held
        return None

    async def all(self) -> list[Lock]:
        return sorted(await self._store.all(), key=lambda lock: (lock.scope.environment, lock.scope.service or ""))


class LockedBySomeoneElse(CommandError):
    def __init__(self, lock: Lock, hint: str = "") -> None:
        reason = f": {lock.reason}" if lock.reason else " (no reason given)"
        super().__init__(f"`{lock.scope.label}` is locked by {lock.holder.ref}{reason}. {hint}".strip())
        self.lock = lock
