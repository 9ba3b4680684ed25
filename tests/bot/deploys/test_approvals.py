"""Approvals on fakes: by someone else, for the one commit that was checked, within the window."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.config import Environment, OpsConfig, Service
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.approvals import APPROVAL_WINDOW, PendingApproval
from bot.deploys.commands import DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeForge, FakeLockStore
from bot.deploys.grammar import Approve, Deploy, parse_approve
from bot.deploys.locks import Locking
from bot.errors import CommandError
from bot.fakes import Clock, FakeMarks, RecordingChat
from bot.model import Answer, ChatMessage, Person, SlackThread

API = "acme/api"
OPS = SlackThread("C_OPS")
PEOPLE = tuple(Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"))
ALICE, BOB, CAROL, DAVE = PEOPLE
MAIN, MOVED = "a" * 40, "b" * 40


class Time:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Desk:
    commands: DeployCommands
    forge: FakeForge
    audit: FakeAuditLog
    clock: Time


class SlowToRead(FakeApprovalStore):
    """Reads let other tasks run before they answer, as a round trip to the store does."""

    async def get(self, approval_id: str) -> PendingApproval | None:
        found = await super().get(approval_id)
        await asyncio.sleep(0)
        return found


def config(approvers: tuple[str, ...] = ("U_CAROL", "U_DAVE")) -> OpsConfig:
    return OpsConfig(
        services={"api": Service("api", ("staging", "production"), github=API)},
        environments={
            "staging": Environment("staging"),
            "production": Environment("production", protected=True, approvers=approvers),
        },
    )


def new_desk(
    approvers: tuple[str, ...] = ("U_CAROL", "U_DAVE"),
    *,
    store_clock: Clock | None = None,
    store: type[FakeApprovalStore] = FakeApprovalStore,
) -> Desk:
    ops, clock = config(approvers), Time()
    forge, audit, chat, marks = FakeForge(), FakeAuditLog(), RecordingChat(), FakeMarks(clock)
    forge.add_repo(API, main=MAIN)
    deploys = Deploys(ops, {"github": forge}, FakeDeploymentStore(clock), Locking(FakeLockStore(), audit, ops, clock),
                      audit, clock)  # fmt: skip
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    commands = DeployCommands(deploys, store(store_clock or clock), reporter, audit, ops, clock)
    return Desk(commands, forge, audit, clock)


def said(by: Person, text: str, place: SlackThread = OPS) -> ChatMessage:
    return ChatMessage(f"m-{by.platform}-{by.id}-{text}", by, place, text, "slash")


async def request(desk: Desk, by: Person = ALICE, place: SlackThread = OPS) -> Answer:
    asked = await desk.commands.deploy(Deploy("api", None, "production"), said(by, "deploy", place))
    assert isinstance(asked, Answer)
    return asked


async def approval_id(desk: Desk, by: Person = ALICE, place: SlackThread = OPS) -> str:
    [button] = (await request(desk, by, place)).buttons
    return button.value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PEOPLE), min_size=1, unique=True), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE))
async def test_only_a_listed_approver_who_is_not_the_requester_approves(
    approvers: list[Person], requester: Person, approver: Person
) -> None:
    desk = new_desk(tuple(p.handle for p in approvers))
    others = [p for p in approvers if p != requester]
    if not others:
        with pytest.raises(CommandError, match="needs an approval by someone else, and no other approver"):
            await request(desk, requester)
        with pytest.raises(CommandError, match="no pending approval"):
            await desk.commands.approve(Approve(None), said(approver, "approve"))
        return
    asked = await request(desk, requester)
    # The request names who may approve, and never the requester.
    assert all(p.ref in asked.text for p in others)
    assert requester.ref not in asked.text.split("needs an approval by")[1]
    [button] = asked.buttons
    if approver == requester:
        with pytest.raises(CommandError, match="can't approve your own"):
            await desk.commands.approve(Approve(button.value), said(approver, "approve"))
    elif approver not in approvers:
        with pytest.raises(CommandError, match="not an approver of `production`"):
            await desk.commands.approve(Approve(button.value), said(approver, "approve"))
    else:
        answer = await desk.commands.approve(Approve(button.value), said(approver, "approve"))
        assert answer.startswith(f"👍 Approved by {approver.ref}.")
        [created] = desk.forge.created
        assert (created.environment, created.protected, created.requester) == ("production", True, requester)
        [entry] = [e for e in await desk.audit.recent(100) if e.action == "approval"]
        assert entry.actor == approver
        return
    assert desk.forge.created == []


async def test_a_refused_request_holds_nothing() -> None:
    # Carol is production's only approver: her own request can't be approved by anyone.
    desk = new_desk(("U_CAROL",))
    with pytest.raises(CommandError, match="no other approver is listed"):
        await request(desk, CAROL)
    await approval_id(desk, ALICE)  # nothing was claimed: another request goes ahead


async def test_the_requester_speaking_from_another_platform_is_still_the_requester() -> None:
    # ops.yaml names people by handle: the console user U_CAROL is the Slack user U_CAROL.
    desk = new_desk(("U_CAROL", "U_DAVE"))
    approval = await approval_id(desk, CAROL)
    with pytest.raises(CommandError, match="can't approve your own"):
        await desk.commands.approve(Approve(approval), said(Person("console", "U_CAROL"), "approve"))
    assert desk.forge.created == []


@settings(max_examples=60, deadline=None)
@given(
    elapsed=st.floats(min_value=0, max_value=APPROVAL_WINDOW + 120, allow_nan=False),
    store_behind=st.integers(min_value=1, max_value=120),
)
@example(elapsed=APPROVAL_WINDOW, store_behind=1)
@example(elapsed=APPROVAL_WINDOW + 0.001, store_behind=1)
async def test_an_approval_counts_only_within_its_window_whatever_the_store_still_holds(
    elapsed: float, store_behind: int
) -> None:
    # The store's clock runs behind opsbot's, so it keeps the request past its window: the window still decides.
    desk = new_desk(store_clock=lambda: desk.clock.now - store_behind)
    approval = await approval_id(desk)
    desk.clock.now += elapsed
    message = said(CAROL, "approve")
    if elapsed >= APPROVAL_WINDOW + store_behind:
        with pytest.raises(CommandError, match="no pending approval"):
            await desk.commands.approve(Approve(approval), message)
    elif elapsed > APPROVAL_WINDOW:
        with pytest.raises(CommandError, match="has expired; ask for the deploy again"):
            await desk.commands.approve(Approve(approval), message)
    else:
        await desk.commands.approve(Approve(approval), message)
        assert len(desk.forge.created) == 1
        return
    assert desk.forge.created == []


async def test_an_approval_deploys_the_commit_that_was_checked_even_if_the_branch_moved() -> None:
    desk = new_desk()
    approval = await approval_id(desk)
    desk.forge.branches[API]["main"] = MOVED
    await desk.commands.approve(Approve(approval), said(CAROL, "approve"))
    [created] = desk.forge.created
    assert (created.ref, created.sha) == ("main", MAIN)
    assert any(e.detail == f"approved {approval} for U_ALICE ({MAIN[:7]})" for e in await desk.audit.recent(100))


async def test_approve_without_an_id_is_about_the_request_made_in_that_thread() -> None:
    desk = new_desk()
    here, there = SlackThread("C_HERE"), SlackThread("C_THERE")
    first = await approval_id(desk, ALICE, here)
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.commands.approve(Approve(None), said(DAVE, "approve", there))
    await desk.commands.approve(Approve(None), said(DAVE, "approve", here))
    [created] = desk.forge.created
    assert (created.requester, created.sha) == (ALICE, MAIN)
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.commands.approve(Approve(first), said(CAROL, "approve"))


async def test_two_approvers_at_once_create_one_deployment() -> None:
    desk = new_desk(store=SlowToRead)
    approval = await approval_id(desk)
    outcomes = await asyncio.gather(
        desk.commands.approve(Approve(approval), said(CAROL, "approve")),
        desk.commands.approve(Approve(approval), said(DAVE, "approve")),
        return_exceptions=True,
    )
    assert len(desk.forge.created) == 1
    [refused] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(refused, CommandError)
    assert "approved that deploy already" in str(refused)


def test_the_id_a_request_shows_can_be_typed_back() -> None:
    for approval in {PendingApproval.new_id() for _ in range(200)}:
        assert parse_approve([approval]) == Approve(approval)
