"""The features' stores telling the Home what changed, on their fakes: after a change, and only then."""

from __future__ import annotations

from dataclasses import replace

from bot.deploys.approvals import PendingApproval
from bot.deploys.fakes import FakeApprovalStore, FakeDeploymentStore, FakeLockStore
from bot.deploys.model import Deployment, Lock, LockScope
from bot.fakes import ManualClock
from bot.incidents.fakes import FakeIncidentStore
from bot.incidents.model import Incident
from bot.model import Person, SlackThread
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo
from handlers.home_news import NoticedApprovals, NoticedDeployments, NoticedIncidents, NoticedLocks, NoticedTodos

ALICE, CAROL = Person("slack", "U_ALICE"), Person("slack", "U_CAROL")
OPS = SlackThread("C_OPS")


class Changes:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


async def test_the_stores_tell_the_home_of_changes_and_only_of_changes() -> None:
    clock, changed, expiring = ManualClock(), Changes(), list[float]()

    async def changes_at(when: float) -> None:
        expiring.append(when)

    approvals = NoticedApprovals(FakeApprovalStore(clock), changed, changes_at)
    pending = PendingApproval("abc123", "api", "production", "main", "a" * 40, ALICE, OPS, "s", clock() + 60)
    await approvals.open(pending)
    assert expiring == [pending.expires_at]  # it leaves the Homes then, by itself
    assert await approvals.get("abc123") == pending
    assert await approvals.close("abc123") == pending
    assert await approvals.close("abc123") is None  # nothing closed: nothing changed
    assert changed.count == 2

    locks = NoticedLocks(FakeLockStore(), changed)
    scope = LockScope("production", "api")
    await locks.acquire(Lock(scope, ALICE, None, 1.0))
    await locks.acquire(Lock(scope, CAROL, None, 2.0))  # refused: Alice holds it
    assert await locks.release(scope, CAROL) is None
    assert await locks.release(scope, ALICE) is not None
    assert changed.count == 4

    deployments = NoticedDeployments(FakeDeploymentStore(clock), changed)
    deployment = Deployment("github", "acme/api", "1", "api", "staging", "main", "a" * 40, ALICE, OPS, "s")
    await deployments.save(deployment)
    await deployments.update(deployment.key, lambda d: replace(d, status="success"))
    await deployments.update(deployment.key, lambda d: d)  # a stale report changes nothing
    await deployments.update("github:acme/api:404", lambda d: d)
    assert changed.count == 6

    await NoticedTodos(FakeTodoStore(clock), changed).save(OPS, [Todo("[Ops] step", "pending")])
    await NoticedIncidents(FakeIncidentStore(clock), changed).save(Incident("i", "t", 2, None, "opsbot", 1.0, {}))
    assert changed.count == 8
