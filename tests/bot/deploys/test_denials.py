"""Turning down a waiting deploy, on fakes: approvers deny, the requester withdraws, nothing is deployed,
the service and environment are free again, and a Deny and an Approve at once make one decision."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.commands.grammar import UsageProblem
from bot.config import Environment, OpsConfig, Service
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import DeployCommands
from bot.deploys.denials import Denials, Deny, parse_deny
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeForge, FakeLockStore
from bot.deploys.grammar import Approve, Deploy
from bot.deploys.locks import Locking
from bot.errors import CommandError
from bot.fakes import FakeMarks, ManualClock, RecordingChat
from bot.model import Answer, ChatMessage, Person, SlackThread

API = "acme/api"
OPS = SlackThread("C_OPS")
ALICE, BOB, CAROL, DAVE = (Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"))


@dataclass
class Desk:
    deploying: DeployCommands
    denials: Denials
    forge: FakeForge
    chat: RecordingChat
    audit: FakeAuditLog


def new_desk() -> Desk:
    ops = OpsConfig(
        services={"api": Service("api", ("staging", "production"), github=API)},
        environments={
            "staging": Environment("staging"),
            "production": Environment("production", protected=True, approvers=("U_CAROL", "U_DAVE")),
        },
    )
    clock = ManualClock()
    forge, audit, chat, marks = FakeForge(), FakeAuditLog(), RecordingChat(), FakeMarks(clock)
    forge.add_repo(API)
    approvals = FakeApprovalStore(clock)
    deploys = Deploys(ops, {"github": forge}, FakeDeploymentStore(clock), Locking(FakeLockStore(), audit, ops, clock),
                      audit, clock)  # fmt: skip
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    return Desk(
        DeployCommands(deploys, approvals, reporter, audit, ops, clock),
        Denials(deploys, approvals, reporter, ops),
        forge,
        chat,
        audit,
    )


def said(by: Person, text: str, place: SlackThread = OPS) -> ChatMessage:
    return ChatMessage(f"m-{by.id}-{text}", by, place, text, "slash")


async def requested(desk: Desk, by: Person = ALICE) -> str:
    """Ask for a production deploy; post its status message as the chat would, and return its approval id."""
    message = said(by, "deploy api to production")
    asked = await desk.deploying.deploy(Deploy("api", None, "production"), message)
    assert isinstance(asked, Answer)
    await desk.chat.post(OPS, asked.text, reply_key=f"{message.id}:answer", buttons=asked.buttons)
    [button] = asked.buttons
    return button.value


async def test_an_approver_turns_a_deploy_down_and_nothing_is_deployed() -> None:
    desk = new_desk()
    approval = await requested(desk)
    answer = await desk.denials.deny(Deny(approval), said(CAROL, "deny"))
    assert answer.startswith("🚫 Deploy of `api` `main`")
    assert f"was turned down by {CAROL.ref}. Nothing was deployed." in answer
    [status] = desk.chat.messages.values()
    assert (status.text, status.buttons) == (answer, ())  # the status message says so, its Approve button gone
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.deploying.approve(Approve(approval), said(DAVE, "approve"))
    assert desk.forge.created == []
    [entry] = [e for e in await desk.audit.recent(100) if e.action == "approval.denied"]
    assert (entry.actor, entry.detail) == (CAROL, f"denied {approval} for U_ALICE (aaaaaaa)")


async def test_a_deploy_turned_down_frees_its_service_and_environment() -> None:
    desk = new_desk()
    await desk.denials.deny(Deny(await requested(desk)), said(CAROL, "deny"))
    second = await requested(desk, BOB)  # not "in flight": the claim went with the request
    await desk.deploying.approve(Approve(second), said(CAROL, "approve"))
    [created] = desk.forge.created
    assert created.requester == BOB


async def test_whoever_asked_may_withdraw_and_nobody_else_who_does_not_approve() -> None:
    desk = new_desk()
    approval = await requested(desk)
    with pytest.raises(CommandError, match="not an approver of `production`"):
        await desk.denials.deny(Deny(approval), said(BOB, "deny"))
    answer = await desk.denials.deny(Deny(approval), said(ALICE, "deny"))
    assert f"was withdrawn by {ALICE.ref}" in answer
    newest, *_ = await desk.audit.recent(100)
    assert newest.action == "approval.withdrawn"


async def test_deny_without_an_id_is_about_the_request_made_in_that_thread() -> None:
    desk = new_desk()
    await requested(desk)
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.denials.deny(Deny(None), said(CAROL, "deny", SlackThread("C_ELSEWHERE")))
    await desk.denials.deny(Deny(None), said(CAROL, "deny"))
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.denials.deny(Deny(None), said(DAVE, "deny"))


async def test_a_deny_and_an_approve_at_once_make_one_decision() -> None:
    desk = new_desk()
    approval = await requested(desk)
    outcomes = await asyncio.gather(
        desk.denials.deny(Deny(approval), said(CAROL, "deny")),
        desk.deploying.approve(Approve(approval), said(DAVE, "approve")),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], CommandError)
    assert len(desk.forge.created) == (1 if isinstance(outcomes[0], BaseException) else 0)


def test_deny_takes_the_words_approve_takes() -> None:
    assert parse_deny([]) == Deny(None)
    assert parse_deny(["abc123"]) == Deny("abc123")
    for wrong in (["abc"], ["abc123", "x"], ["ABC123"]):
        with pytest.raises(UsageProblem, match="approval id"):
            parse_deny(wrong)
