"""The Home's readings of the features' stores, on their fakes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from bot.config import Environment, OpsConfig, Service
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeForge, FakeLockStore
from bot.deploys.grammar import Approve, Deploy
from bot.deploys.locks import Locking
from bot.deploys.model import Deployment, Lock, LockScope
from bot.fakes import FakeMarks, ManualClock, RecordingChat
from bot.home.model import HeldLock, LatestDeploy, OpenTodoList
from bot.incidents.fakes import FakeIncidentStore
from bot.incidents.model import Incident
from bot.model import ChatMessage, Person, SlackThread
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo
from handlers.home_wiring import HomeReadings

ALICE, CAROL = Person("slack", "U_ALICE"), Person("slack", "U_CAROL")
OPS = SlackThread("C_OPS")


def config() -> OpsConfig:
    return OpsConfig(
        services={
            "api": Service("api", ("staging", "production"), github="acme/api"),
            "web": Service("web", ("staging",), github="acme/web"),
        },
        environments={
            "staging": Environment("staging"),
            "production": Environment("production", protected=True, approvers=("U_CAROL",)),
        },
    )


@dataclass
class Estate:
    readings: HomeReadings
    deploying: DeployCommands
    deployments: FakeDeploymentStore
    locks: FakeLockStore
    incidents: FakeIncidentStore
    todos: FakeTodoStore
    clock: ManualClock


@pytest.fixture
def estate() -> Estate:
    clock, ops = ManualClock(), config()
    forge, audit, marks, chat = FakeForge(), FakeAuditLog(), FakeMarks(clock), RecordingChat()
    for repo in ("acme/api", "acme/web"):
        forge.add_repo(repo)
    approvals, deployments, locks = FakeApprovalStore(clock), FakeDeploymentStore(clock), FakeLockStore()
    incidents, todos = FakeIncidentStore(clock), FakeTodoStore(clock)
    deploys = Deploys(ops, {"github": forge}, deployments, Locking(locks, audit, ops, clock), audit, clock)
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    return Estate(
        HomeReadings(ops, approvals, deployments, locks, incidents, todos),
        DeployCommands(deploys, approvals, reporter, audit, ops, clock),
        deployments, locks, incidents, todos, clock,
    )  # fmt: skip


def said(by: Person, text: str) -> ChatMessage:
    return ChatMessage(f"m-{by.id}-{text}", by, OPS, text, "slash")


async def test_an_open_request_for_approval_is_found_until_it_is_decided(estate: Estate) -> None:
    asked = await estate.deploying.deploy(Deploy("api", None, "production"), said(ALICE, "deploy"))
    [button] = asked.buttons  # type: ignore[union-attr]
    [waiting] = await estate.readings.waiting_approvals()
    assert (waiting.id, waiting.environment, waiting.requester, waiting.rollback) == (
        button.value, "production", "U_ALICE", False
    )  # fmt: skip
    await estate.deploying.approve(Approve(button.value), said(CAROL, "approve"))
    assert await estate.readings.waiting_approvals() == []


async def test_the_newest_deploy_of_each_service_to_each_environment(estate: Estate) -> None:
    for n, (service, environment) in enumerate([("api", "staging"), ("api", "staging"), ("web", "staging")]):
        repo, sha = f"acme/{service}", f"{n:040x}"
        deployment = Deployment("github", repo, str(n), service, environment, "main", sha, ALICE, OPS, "s")
        await estate.deployments.save(replace(deployment, status="success", created_at=100.0 + n))
    found = await estate.readings.latest_deploys()
    assert sorted((d.service, d.environment, d.created_at) for d in found) == [
        ("api", "staging", 101.0), ("web", "staging", 102.0)
    ]  # fmt: skip
    assert all(isinstance(d, LatestDeploy) and d.requester == "U_ALICE" for d in found)


async def test_locks_and_open_incidents_read_as_the_homes_values(estate: Estate) -> None:
    await estate.locks.acquire(Lock(LockScope("production", "api"), ALICE, "migration", 5.0))
    assert await estate.readings.locks() == [HeldLock("production", "api", "U_ALICE", "migration", 5.0)]
    incident = Incident("inc-1", "checkout is down", 1, "U_ALICE", "U_ALICE", 9.0, {}, channel="C_INC")
    await estate.incidents.save(incident)
    await estate.incidents.save(replace(incident, id="inc-2", channel="C_OLD", status="resolved"))
    [shown] = await estate.readings.open_incidents()
    assert (shown.id, shown.channel, shown.commander) == ("inc-1", "C_INC", "U_ALICE")


def todos(*statuses: str) -> list[Todo]:
    return [Todo(f"[Ops] step {n}", status) for n, status in enumerate(statuses)]  # type: ignore[arg-type]


async def test_todo_lists_an_incident_channels_own_then_threads_newest_first(estate: Estate) -> None:
    await estate.incidents.save(Incident("inc-1", "down", 1, None, "opsbot", 1.0, {}, channel="C_INC"))
    await estate.todos.save(SlackThread("C_INC"), todos("completed", "pending"))
    await estate.todos.save(SlackThread("C_OPS"), todos("pending"))  # not an incident's: not read
    await estate.todos.save(SlackThread("C_OPS", "1700000000.000100"), todos("in_progress"))
    await estate.todos.save(SlackThread("C_OPS", "1700000500.000100"), todos("pending", "pending"))
    await estate.todos.save(SlackThread("C_DEV", "1700000900.000100"), todos("pending"))
    lists, unread = await estate.readings.open_todo_lists(["C_INC", "C_OPS"], limit=10)
    assert lists == [
        OpenTodoList("C_INC", None, 1, 2, "[Ops] step 1"),
        OpenTodoList("C_OPS", "1700000500.000100", 0, 2, "[Ops] step 0"),
        OpenTodoList("C_OPS", "1700000000.000100", 0, 1, "[Ops] step 0"),
    ]
    assert unread == 0
    first, unread = await estate.readings.open_todo_lists(["C_INC", "C_OPS"], limit=2)
    assert [(t.channel, t.thread_ts) for t in first] == [("C_INC", None), ("C_OPS", "1700000500.000100")]
    assert unread == 1  # the older C_OPS thread, not read
