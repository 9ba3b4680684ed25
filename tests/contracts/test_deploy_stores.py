"""DeploymentStore, LockStore, ApprovalStore and AuditLog: the fakes and the Redis stores agree."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.deploys.approvals import PendingApproval
from bot.deploys.audit import AuditEntry
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeLockStore
from bot.deploys.model import Deployment, InFlight, Lock, LockScope
from bot.deploys.ports import ApprovalStore, AuditLog, DeploymentStore, LockStore
from bot.model import Person, SlackThread
from bot.stores.approvals import RedisApprovalStore
from bot.stores.audit import RedisAuditLog
from bot.stores.deploys import HISTORY, RedisDeploymentStore
from bot.stores.locks import RedisLockStore
from tests.contracts.conftest import Backend

ALICE, BOB = Person("slack", "U_ALICE"), Person("github", "bob")
OPS = SlackThread("C_OPS", "1.0")


@pytest.fixture
def deployments(backend: Backend) -> DeploymentStore:
    return FakeDeploymentStore(backend.clock) if backend.server is None else RedisDeploymentStore(backend.client)


@pytest.fixture
def locks(backend: Backend) -> LockStore:
    return FakeLockStore() if backend.server is None else RedisLockStore(backend.client)


@pytest.fixture
def approvals(backend: Backend) -> ApprovalStore:
    return FakeApprovalStore(backend.clock) if backend.server is None else RedisApprovalStore(backend.client)


@pytest.fixture
def audit(backend: Backend) -> AuditLog:
    return FakeAuditLog() if backend.server is None else RedisAuditLog(backend.client)


def deployment(n: int, *, environment: str = "staging", at: float | None = None) -> Deployment:
    return Deployment(
        "github", "acme/api", str(n), "api", environment, "main", f"{n:040x}", ALICE, OPS, "status-1",
        created_at=float(n) if at is None else at,
    )  # fmt: skip


def flight(token: str, until: float) -> InFlight:
    return InFlight(token, "api", "production", "main", "a" * 40, ALICE, OPS, until)


async def test_deployments_come_back_newest_first_per_service_and_environment(deployments: DeploymentStore) -> None:
    for n in (2, 1, 3):
        await deployments.save(deployment(n))
    await deployments.save(deployment(9, environment="production"))
    assert await deployments.get("github:acme/api:1") == deployment(1)
    assert await deployments.get("github:acme/api:404") is None
    assert [d.forge_id for d in await deployments.history("api", "staging", 10)] == ["3", "2", "1"]
    assert [d.forge_id for d in await deployments.history("api", "staging", 2)] == ["3", "2"]
    assert await deployments.history("web", "staging", 10) == []


async def test_saving_again_updates_the_record_not_the_history(deployments: DeploymentStore) -> None:
    await deployments.save(deployment(1))
    await deployments.save(replace(deployment(1), status="success"))
    [only] = await deployments.history("api", "staging", 10)
    assert only.status == "success"


async def test_history_keeps_the_newest_deployments_only(deployments: DeploymentStore) -> None:
    for n in range(HISTORY + 5):
        await deployments.save(deployment(n))
    kept = await deployments.history("api", "staging", HISTORY + 10)
    assert len(kept) == HISTORY
    assert kept[-1].forge_id == "5"


async def test_a_claim_is_held_by_one_token_until_it_lapses(deployments: DeploymentStore) -> None:
    now = 1_000.0
    assert await deployments.claim(flight("t1", now + 60), now) is None
    holder = await deployments.claim(flight("t2", now + 60), now)
    assert holder is not None
    assert holder.token == "t1"
    assert await deployments.claim(replace(flight("t1", now + 120), url="https://x"), now) is None  # renewed
    found = await deployments.in_flight("api", "production")
    assert found is not None
    assert (found.until, found.url) == (now + 120, "https://x")
    assert await deployments.claim(flight("t2", now + 300), now + 121) is None  # t1's time ran out
    assert (await deployments.in_flight("api", "production")).token == "t2"  # type: ignore[union-attr]


async def test_a_claim_is_released_only_by_its_token_or_its_deployment(deployments: DeploymentStore) -> None:
    now = 1_000.0
    await deployments.claim(replace(flight("t1", now + 60), deployment="github:acme/api:7"), now)
    await deployments.release("api", "production", token="t2")
    await deployments.release("api", "production", deployment="github:acme/api:8")
    await deployments.release("api", "production")
    assert await deployments.in_flight("api", "production") is not None
    await deployments.release("api", "production", deployment="github:acme/api:7")
    assert await deployments.in_flight("api", "production") is None
    await deployments.claim(flight("t3", now + 60), now)
    await deployments.release("api", "production", token="t3")
    assert await deployments.in_flight("api", "production") is None


async def test_a_lock_is_held_by_one_person_and_renewed_by_them(locks: LockStore) -> None:
    scope = LockScope("production", "api")
    first = await locks.acquire(Lock(scope, ALICE, "migration", 1.0))
    assert first == Lock(scope, ALICE, "migration", 1.0)
    assert await locks.acquire(Lock(scope, BOB, None, 2.0)) == first  # refused: Alice's lock comes back
    assert await locks.acquire(Lock(scope, ALICE, None, 3.0)) == Lock(scope, ALICE, None, 3.0)
    assert await locks.holding(scope) == Lock(scope, ALICE, None, 3.0)
    assert await locks.holding(LockScope("production")) is None


async def test_a_lock_is_released_by_its_holder_or_by_anyone_when_forced(locks: LockStore) -> None:
    scope = LockScope("production", "api")
    await locks.acquire(Lock(scope, ALICE, "migration", 1.0))
    assert await locks.release(scope, BOB) is None
    assert await locks.holding(scope) is not None
    released = await locks.release(scope, ALICE)
    assert released is not None
    assert released.holder == ALICE
    assert await locks.release(scope, ALICE) is None
    await locks.acquire(Lock(scope, BOB, None, 2.0))
    forced = await locks.release(scope, None)
    assert forced is not None
    assert forced.holder == BOB
    assert await locks.all() == []


async def test_every_lock_is_listed_in_key_order(locks: LockStore) -> None:
    for scope in (LockScope("staging", "web"), LockScope("production"), LockScope("production", "api")):
        await locks.acquire(Lock(scope, ALICE, None, 1.0))
    assert [lock.scope for lock in await locks.all()] == [
        LockScope("production", None),  # "*" sorts before letters
        LockScope("production", "api"),
        LockScope("staging", "web"),
    ]


def approval(approval_id: str, expires_at: float, origin: SlackThread = OPS) -> PendingApproval:
    return PendingApproval(approval_id, "api", "production", "main", "a" * 40, ALICE, origin, "s-1", expires_at)


async def test_an_approval_closes_once(approvals: ApprovalStore, backend: Backend) -> None:
    pending = approval("a1", backend.clock() + 600)
    await approvals.open(pending)
    assert await approvals.get("a1") == pending
    assert await approvals.close("a1") == pending
    assert await approvals.close("a1") is None
    assert await approvals.get("a1") is None
    assert await approvals.close("never") is None


async def test_the_newest_approval_is_found_where_it_was_asked(approvals: ApprovalStore, backend: Backend) -> None:
    await approvals.open(approval("a1", backend.clock() + 600))
    await approvals.open(approval("a2", backend.clock() + 600))
    # A slash command's reply address differs every time; it names no other thread.
    found = await approvals.latest_for(SlackThread("C_OPS", "1.0", response_url="https://hooks.slack/x"))
    assert found is not None
    assert found.id == "a2"
    assert await approvals.latest_for(SlackThread("C_OTHER")) is None
    await approvals.close("a2")
    assert await approvals.latest_for(OPS) is None


async def test_an_approval_expires_by_itself(approvals: ApprovalStore, backend: Backend) -> None:
    await approvals.open(approval("a1", backend.clock() + 1))
    assert await approvals.get("a1") is not None
    await backend.later(1.2)
    assert await approvals.get("a1") is None
    assert await approvals.latest_for(OPS) is None


async def test_the_audit_trail_is_newest_first_and_filtered_by_service(audit: AuditLog) -> None:
    entries = [
        AuditEntry("lock", ALICE, "api locked", 1.0, "production", "api"),
        AuditEntry("lock", BOB, "freeze", 2.0, "production", None),
        AuditEntry("deploy.requested", ALICE, "web", 3.0, "staging", "web"),
        AuditEntry("note", BOB, "no scope", 4, None, None),
    ]
    for entry in entries:
        await audit.record(entry)
    assert await audit.recent(10) == entries[::-1]
    assert await audit.recent(2) == entries[:1:-1]
    assert [e.detail for e in await audit.recent(10, service="api")] == ["no scope", "freeze", "api locked"]
    assert [e.detail for e in await audit.recent(1, service="web")] == ["no scope"]


async def test_an_update_is_decided_on_the_record_as_it_is_when_written(deployments: DeploymentStore) -> None:
    # Twenty workers each appending to the same record at once: none may write over another's change.
    await deployments.save(deployment(1))

    def one_more(before: Deployment) -> Deployment:
        return replace(before, url=(before.url or "") + "x")

    await asyncio.gather(*(deployments.update("github:acme/api:1", one_more) for _ in range(20)))
    found = await deployments.get("github:acme/api:1")
    assert found is not None
    assert found.url == "x" * 20
    [only] = await deployments.history("api", "staging", 10)
    assert only.url == "x" * 20


async def test_an_update_reports_before_and_after_and_none_for_no_record(deployments: DeploymentStore) -> None:
    await deployments.save(deployment(1))
    change = await deployments.update("github:acme/api:1", lambda d: replace(d, status="success"))
    assert change == (deployment(1), replace(deployment(1), status="success"))
    assert await deployments.update("github:acme/api:404", lambda d: replace(d, status="success")) is None
