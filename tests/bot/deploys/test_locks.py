"""Locks: owners, reasons, refusals and breaking on the fakes; races on a real redis-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.clients.slack_markup import to_mrkdwn
from bot.config import OpsConfig
from bot.deploys.fakes import FakeAuditLog, FakeLockStore
from bot.deploys.locks import LockedBySomeoneElse, Locking
from bot.deploys.model import LockScope
from bot.errors import CommandError
from bot.model import Person
from bot.stores.audit import RedisAuditLog
from bot.stores.locks import RedisLockStore

OPS_CONFIG = Path(__file__).parents[2] / "ops.test.yaml"

ALICE, BOB, CAROL, EVE = (Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_EVE"))
OCTOCAT = Person("github", "octocat")
PROD_API = LockScope("production", "api")


@pytest.fixture
def audit() -> FakeAuditLog:
    return FakeAuditLog()


@pytest.fixture
def locking(audit: FakeAuditLog) -> Locking:
    return Locking(FakeLockStore(), audit, OpsConfig.load(OPS_CONFIG), lambda: 1e9)


async def test_a_lock_blocks_others_and_names_holder_and_reason(locking: Locking) -> None:
    await locking.lock(ALICE, PROD_API, "db migration")
    with pytest.raises(LockedBySomeoneElse) as refused:
        await locking.lock(BOB, PROD_API, None)
    assert to_mrkdwn(str(refused.value)) == "`production/api` is locked by <@U_ALICE>: db migration."
    blocking = await locking.blocking(BOB, "production", "api")
    assert blocking is not None
    assert blocking.holder == ALICE
    assert await locking.blocking(ALICE, "production", "api") is None  # your own lock never blocks you


async def test_an_environment_lock_holds_every_service(locking: Locking) -> None:
    await locking.lock(OCTOCAT, LockScope("production"), "freeze")
    for service in ("api", "web"):
        held = await locking.blocking(ALICE, "production", service)
        assert held is not None
        assert held.holder == OCTOCAT
    assert await locking.blocking(ALICE, "staging", "api") is None


async def test_only_the_holder_or_an_approver_unlocks(locking: Locking) -> None:
    await locking.lock(ALICE, PROD_API, "migration")
    with pytest.raises(LockedBySomeoneElse):
        await locking.unlock(BOB, PROD_API)
    broken = await locking.unlock(CAROL, PROD_API)  # an approver of production
    assert broken.holder == ALICE
    assert await locking.all() == []
    with pytest.raises(CommandError, match="is not locked"):
        await locking.unlock(ALICE, PROD_API)


async def test_relocking_your_own_lock_updates_the_reason(locking: Locking) -> None:
    await locking.lock(ALICE, PROD_API, "first")
    again = await locking.lock(ALICE, PROD_API, "second")
    assert again.reason == "second"
    assert [lock.reason for lock in await locking.all()] == ["second"]


@pytest.mark.parametrize(
    ("person", "scope", "problem"),
    [
        (EVE, PROD_API, "only its deployers may"),
        (ALICE, LockScope("nowhere"), "no environment called `nowhere`"),
        (ALICE, LockScope("staging", "nope"), "no service called `nope`"),
    ],
)
async def test_refusals_take_nothing(locking: Locking, person: Person, scope: LockScope, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        await locking.lock(person, scope, None)
    assert await locking.all() == []


async def test_of_many_simultaneous_lockers_exactly_one_wins(redis_url: str, redis_client: redis.Redis) -> None:
    config = OpsConfig.load(OPS_CONFIG)
    people = [Person("slack", f"U{n:03d}") for n in range(40)]
    # Separate connections, as separate workers would have.
    clients = [redis.Redis.from_url(redis_url) for _ in people]
    try:
        results = await asyncio.gather(
            *(
                Locking(RedisLockStore(c), RedisAuditLog(c), config, lambda: 1e9).lock(p, LockScope("staging"), None)
                for c, p in zip(clients, people, strict=True)
            ),
            return_exceptions=True,
        )
    finally:
        for client in clients:
            await client.aclose()
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(
        isinstance(r, LockedBySomeoneElse) and r.lock.holder == winners[0].holder for r in results if r not in winners
    )


async def test_every_lock_action_is_audited(locking: Locking, audit: FakeAuditLog) -> None:
    await locking.lock(ALICE, PROD_API, "migration")
    with pytest.raises(CommandError):
        await locking.lock(BOB, PROD_API, None)
    await locking.unlock(CAROL, PROD_API)
    entries = await audit.recent(10, service="api")
    assert [(e.action, e.actor.id) for e in entries] == [
        ("unlock.forced", "U_CAROL"),
        ("lock.refused", "U_BOB"),
        ("lock", "U_ALICE"),
    ]
