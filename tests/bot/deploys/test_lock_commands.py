"""The lock, unlock, locks and status commands on fakes: who may lock where, who may unlock, what is shown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.audit import AuditEntry
from bot.deploys.commands import DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeForge, FakeLockStore
from bot.deploys.grammar import Deploy, Lock, Locks, Status, Unlock
from bot.deploys.lock_commands import STATUS_ACTIVITY, LockCommands
from bot.deploys.locks import LockedBySomeoneElse, Locking
from bot.deploys.model import LockScope
from bot.errors import CommandError
from bot.fakes import FakeMarks, RecordingChat
from bot.model import ChatMessage, Person, SlackThread

OPS_CONFIG = Path(__file__).parents[2] / "ops.test.yaml"
OPS = SlackThread("C_OPS")
# Production: Alice and Bob deploy, Carol approves; staging is open to anyone and has no approvers.
ALICE, BOB, CAROL, EVE = (Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_EVE"))
START = 1_800_000_000.0  # 2027-01-15 08:00 UTC


class Time:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Desk:
    commands: LockCommands
    deploying: DeployCommands
    audit: FakeAuditLog
    clock: Time

    async def lock(self, by: Person, environment: str, service: str | None = None, reason: str | None = None) -> str:
        return await self.commands.lock(Lock(environment, service, reason), said(by, "lock"))

    async def unlock(self, by: Person, environment: str, service: str | None = None) -> str:
        return await self.commands.unlock(Unlock(environment, service), said(by, "unlock"))

    async def held(self) -> list[tuple[str, str]]:
        """(scope label, holder handle) of each lock `locks` lists, in its order."""
        listed = await self.commands.locks(Locks(), said(EVE, "locks"))
        return [] if listed == "No locks are held." else [_labelled(line) for line in listed.splitlines()]

    async def actions(self) -> list[tuple[str, str]]:
        return [(e.action, e.actor.handle) for e in reversed(await self.audit.recent(1_000))]


def new_desk() -> Desk:
    config, clock = OpsConfig.load(OPS_CONFIG), Time()
    forge, audit, chat, marks = FakeForge(), FakeAuditLog(), RecordingChat(), FakeMarks(clock)
    forge.add_repo("acme/api")
    locking = Locking(FakeLockStore(), audit, config, clock)
    deploys = Deploys(config, {"github": forge}, FakeDeploymentStore(clock), locking, audit, clock)
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    deploying = DeployCommands(deploys, FakeApprovalStore(clock), reporter, audit, config, clock)
    return Desk(LockCommands(locking, audit, deploying), deploying, audit, clock)


@pytest.fixture
def desk() -> Desk:
    return new_desk()


def said(by: Person, text: str) -> ChatMessage:
    return ChatMessage(f"m-{by.id}-{text}", by, OPS, text, "slash")


def _labelled(line: str) -> tuple[str, str]:
    # "🔒 `production/api` by <ref> since …": the label between backticks, the holder by their mention.
    label = line.split("`")[1]
    holder = next(p for p in (ALICE, BOB, CAROL, EVE) if f" by {p.ref} since " in line)
    return label, holder.handle


async def test_a_lock_says_what_it_holds_by_whom_and_why(desk: Desk) -> None:
    answer = await desk.lock(ALICE, "production", "api", "db migration")
    assert answer.startswith(f"🔒 `production/api` is locked by {ALICE.ref}: db migration. ")
    assert "(all services)" in await desk.lock(EVE, "staging")
    listed = await desk.commands.locks(Locks(), said(EVE, "locks"))
    assert listed.splitlines() == [
        f"🔒 `production/api` by {ALICE.ref} since 2027-01-15 08:00 UTC: db migration",
        f"🔒 `staging (all services)` by {EVE.ref} since 2027-01-15 08:00 UTC",
    ]


async def test_no_locks_held_is_said_in_words(desk: Desk) -> None:
    assert await desk.commands.locks(Locks(), said(EVE, "locks")) == "No locks are held."


@pytest.mark.parametrize(
    ("person", "environment", "service", "problem"),
    [
        (EVE, "production", None, "only its deployers may"),
        (CAROL, "production", "api", "only its deployers may"),  # approving is not deploying
        (ALICE, "nowhere", None, "no environment called `nowhere`"),
        (ALICE, "staging", "nope", "no service called `nope`"),
    ],
)
async def test_a_lock_not_allowed_there_takes_nothing(
    desk: Desk, person: Person, environment: str, service: str | None, problem: str
) -> None:
    with pytest.raises(CommandError, match=problem):
        await desk.lock(person, environment, service)
    assert await desk.held() == []


async def test_anyone_may_lock_an_environment_without_a_list_of_deployers(desk: Desk) -> None:
    await desk.lock(EVE, "staging", "web")
    assert await desk.held() == [("staging/web", "U_EVE")]
    assert await desk.actions() == [("lock", "U_EVE")]


async def test_someone_elses_lock_is_not_taken_over_and_the_refusal_names_it(desk: Desk) -> None:
    await desk.lock(ALICE, "production", "api", "migration")
    with pytest.raises(LockedBySomeoneElse, match=r"is locked by .*: migration"):
        await desk.lock(BOB, "production", "api", "mine now")
    assert await desk.held() == [("production/api", "U_ALICE")]
    assert await desk.actions() == [("lock", "U_ALICE"), ("lock.refused", "U_BOB")]


async def test_the_holder_unlocks_without_being_told_whose_lock_it_was(desk: Desk) -> None:
    await desk.lock(ALICE, "production", "api")
    assert await desk.unlock(ALICE, "production", "api") == "🔓 `production/api` is unlocked."
    assert await desk.held() == []
    with pytest.raises(CommandError, match="is not locked"):
        await desk.unlock(ALICE, "production", "api")


async def test_someone_else_may_not_unlock_and_the_lock_stays(desk: Desk) -> None:
    await desk.lock(ALICE, "production", "api", "migration")
    with pytest.raises(LockedBySomeoneElse, match="Only its holder or an approver"):
        await desk.unlock(BOB, "production", "api")  # a deployer, not an approver
    assert await desk.held() == [("production/api", "U_ALICE")]
    assert (await desk.actions())[-1] == ("unlock.refused", "U_BOB")


async def test_an_approver_breaks_a_lock_of_their_environment_and_the_trail_says_so(desk: Desk) -> None:
    await desk.lock(ALICE, "production", "api", "migration")
    assert (
        await desk.unlock(CAROL, "production", "api")
        == f"🔓 `production/api` is unlocked (it was held by {ALICE.ref})."
    )
    assert await desk.held() == []
    [forced] = [e for e in await desk.audit.recent(10) if e.action == "unlock.forced"]
    assert (forced.actor, forced.detail) == (CAROL, "broke the lock of U_ALICE")


async def test_an_approver_of_one_environment_cant_break_a_lock_in_another(desk: Desk) -> None:
    await desk.lock(EVE, "staging", "api", "load test")
    with pytest.raises(LockedBySomeoneElse):
        await desk.unlock(CAROL, "staging", "api")  # production's approver; staging has none
    assert await desk.held() == [("staging/api", "U_EVE")]


async def test_unlocking_a_service_leaves_its_environments_lock_alone(desk: Desk) -> None:
    await desk.lock(ALICE, "production", None, "freeze")
    with pytest.raises(CommandError, match="is not locked"):
        await desk.unlock(ALICE, "production", "api")
    assert await desk.held() == [("production (all services)", "U_ALICE")]


SCOPES = [LockScope(env, service) for env in ("production", "staging") for service in (None, "api", "web")]


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from(SCOPES), st.tuples(st.sampled_from((ALICE, BOB)), st.none() | st.just("why"))),
    st.sampled_from(("api", "web")),
)
async def test_locks_lists_every_lock_and_status_those_that_hold_the_service(
    taken: dict[LockScope, tuple[Person, str | None]], service: str
) -> None:
    desk = new_desk()
    for scope, (holder, reason) in taken.items():
        await desk.lock(holder, scope.environment, scope.service, reason)
        desk.clock.now += 60
    expected = sorted(taken, key=lambda s: (s.environment, s.service or ""))
    assert await desk.held() == [(s.label, taken[s][0].handle) for s in expected]
    status = await desk.commands.status(Status(service), said(EVE, "status"))
    shown = status.split("\nLocks:\n")[1].split("\n\n")[0]
    holding = [s for s in expected if s.service in (None, service)]
    if holding:
        assert [_labelled(line) for line in shown.splitlines()] == [(s.label, taken[s][0].handle) for s in holding]
    else:
        assert shown == "none"


async def test_status_shows_the_latest_deploys_the_locks_and_the_newest_activity(desk: Desk) -> None:
    empty = await desk.commands.status(Status("api"), said(EVE, "status"))
    assert empty == "**Status of api**\n\nLatest deploys:\nnone yet\n\nLocks:\nnone"
    await desk.deploying.deploy(Deploy("api", None, "staging"), said(ALICE, "deploy"))
    for n in range(STATUS_ACTIVITY + 3):
        desk.clock.now += 60
        await desk.audit.record(AuditEntry("note", BOB, f"entry {n}", desk.clock.now, "staging", "api"))
    await desk.audit.record(AuditEntry("note", BOB, "about web", desk.clock.now, "staging", "web"))
    await desk.lock(ALICE, "production", None, "freeze")
    status = await desk.commands.status(Status("api"), said(EVE, "status"))
    title, deploys, locks, activity = status.split("\n\n")
    assert title == "**Status of api**"
    assert deploys.splitlines()[0] == "Latest deploys:"
    [line] = deploys.splitlines()[1:]
    assert "`api` → `staging`: `main` (`aaaaaaa`)" in line
    assert locks.splitlines()[1:] == [
        f"🔒 `production (all services)` by {ALICE.ref} since 2027-01-15 08:13 UTC: freeze"
    ]
    lines = activity.splitlines()
    assert lines[0] == "Recent activity:"
    assert len(lines[1:]) == STATUS_ACTIVITY
    # Newest first, the whole environment's entries included, other services' left out.
    assert lines[1].startswith("• 2027-01-15 08:13 UTC · lock production by ")
    assert lines[2].endswith(f"by {BOB.ref}: entry {STATUS_ACTIVITY + 2}")
    assert not any("about web" in line for line in lines)
    everything = await desk.commands.status(Status(None), said(EVE, "status"))
    assert everything.startswith("**Status**\n")
    assert "about web" in everything


async def test_status_of_a_service_that_does_not_exist_is_an_error_naming_the_known_ones(desk: Desk) -> None:
    with pytest.raises(CommandError) as refused:
        await desk.commands.status(Status("frontend"), said(EVE, "status frontend"))
    assert "no service called `frontend`" in str(refused.value)
    assert "known: api" in str(refused.value)
