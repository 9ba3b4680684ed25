"""Deploy policy and approvals on fakes: who may deploy, locks, one deploy in flight, a second person for production."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.approvals import APPROVAL_WINDOW
from bot.deploys.commands import DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import FakeApprovalStore, FakeAuditLog, FakeDeploymentStore, FakeForge, FakeLockStore
from bot.deploys.grammar import Approve, Deploy, Rollback
from bot.deploys.in_flight import IN_FLIGHT_TIMEOUT
from bot.deploys.locks import Locking
from bot.deploys.model import LockScope
from bot.errors import CommandError, UpstreamRejected
from bot.fakes import FakeMarks, ManualClock, RecordingChat
from bot.model import Answer, ChatMessage, GitHubThread, Person, SlackThread

OPS_CONFIG = Path(__file__).parents[2] / "ops.test.yaml"
API = "acme/api"
ALICE, BOB, CAROL, EVE = (Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_EVE"))
OCTOCAT, STRANGER = Person("github", "octocat"), Person("github", "stranger")
OPS = SlackThread("C_OPS")


@dataclass
class Desk:
    commands: DeployCommands
    forge: FakeForge
    audit: FakeAuditLog
    locking: Locking
    chat: RecordingChat
    clock: ManualClock
    news: list[tuple[str, str]]
    deployments: FakeDeploymentStore
    approvals: FakeApprovalStore

    async def actions(self) -> list[str]:
        """The audit trail's actions, oldest first."""
        return [entry.action for entry in reversed(await self.audit.recent(1_000))]


def open_desk(config: OpsConfig) -> Desk:
    clock = ManualClock()
    forge, audit, chat, marks = FakeForge(), FakeAuditLog(), RecordingChat(), FakeMarks(clock)
    forge.add_repo(API, writers=(OCTOCAT,))
    locking = Locking(FakeLockStore(), audit, config, clock)
    deployments, approvals = FakeDeploymentStore(clock), FakeApprovalStore(clock)
    deploys = Deploys(config, {"github": forge}, deployments, locking, audit, clock)
    news: list[tuple[str, str]] = []

    async def tell(key: str, text: str) -> None:
        news.append((key, text))

    reporter = Reporter({"slack": chat, "github": chat}, Replies(marks), marks, clock)
    commands = DeployCommands(deploys, approvals, reporter, audit, config, clock, tell)
    return Desk(commands, forge, audit, locking, chat, clock, news, deployments, approvals)


@pytest.fixture
def desk() -> Desk:
    return open_desk(OpsConfig.load(OPS_CONFIG))


def said(by: Person, text: str = "deploy", place: SlackThread | GitHubThread = OPS) -> ChatMessage:
    return ChatMessage(f"m-{by.id}-{text}", by, place, text, "slash")


async def test_a_deployer_deploys_to_staging_at_once(desk: Desk) -> None:
    answer = await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    assert isinstance(answer, str)
    assert "`api` `main` (`aaaaaaa`) to `staging`" in answer
    [created] = desk.forge.created
    assert (created.repo, created.sha, created.environment, created.protected) == (API, "a" * 40, "staging", False)
    assert await desk.actions() == ["deploy.requested", "deploy.created"]
    assert desk.news == [("github:acme/api:1:created", answer)]


async def test_someone_not_listed_as_deployer_is_refused_and_audited(desk: Desk) -> None:
    with pytest.raises(CommandError, match="not one of its deployers"):
        await desk.commands.deploy(Deploy("api", None, "production"), said(EVE))
    assert desk.forge.created == []
    assert await desk.actions() == ["deploy.requested", "deploy.refused"]


async def test_a_forge_user_needs_write_access_and_a_failed_check_denies(desk: Desk) -> None:
    pull = GitHubThread(API, 7, True)
    with pytest.raises(CommandError, match="write access"):
        await desk.commands.deploy(Deploy("api", "main", "staging"), said(STRANGER, place=pull))
    desk.forge.permission_error = TimeoutError("forge too slow")
    with pytest.raises(CommandError, match="couldn't confirm your access"):
        await desk.commands.deploy(Deploy("api", "main", "staging"), said(OCTOCAT, place=pull))
    assert desk.forge.created == []
    assert [e.detail for e in reversed(await desk.audit.recent(1_000)) if e.action == "deploy.refused"] == [
        "no write access to the repository",
        "permission check failed (TimeoutError)",
    ]
    desk.forge.permission_error = None
    await desk.commands.deploy(Deploy("api", "main", "staging"), said(OCTOCAT, place=pull))
    assert len(desk.forge.created) == 1


async def test_the_service_is_the_repository_asked_from_and_the_ref_its_pull_requests_head(desk: Desk) -> None:
    desk.forge.heads[(API, 7)] = ("feature", "b" * 40)
    await desk.commands.deploy(Deploy(None, None, "staging"), said(OCTOCAT, place=GitHubThread(API, 7, True)))
    [created] = desk.forge.created
    assert (created.service, created.ref, created.sha) == ("api", "feature", "b" * 40)
    with pytest.raises(CommandError, match="Say which service"):
        await desk.commands.deploy(Deploy(None, None, "staging"), said(ALICE))


async def test_an_unknown_ref_is_refused_in_words(desk: Desk) -> None:
    with pytest.raises(CommandError, match="`nope` is not a branch, tag or commit of `acme/api`"):
        await desk.commands.deploy(Deploy("api", "nope", "staging"), said(ALICE))
    assert (await desk.actions())[-1] == "deploy.refused"


async def test_someone_elses_lock_blocks_a_deploy_and_your_own_does_not(desk: Desk) -> None:
    await desk.locking.lock(BOB, LockScope("staging", "api"), "migration")
    with pytest.raises(CommandError, match=r"is locked by .*migration\. Nothing was deployed"):
        await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    assert desk.forge.created == []
    await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB))
    assert len(desk.forge.created) == 1


async def test_one_deploy_of_a_service_to_an_environment_is_in_flight_until_it_ends(desk: Desk) -> None:
    await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    with pytest.raises(CommandError, match="already deploying"):
        await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB))
    desk.forge.branches[API]["hotfix"] = "c" * 40
    with pytest.raises(CommandError, match="Another deploy is in flight"):
        await desk.commands.deploy(Deploy("api", "hotfix", "staging"), said(BOB))
    await desk.commands.status_changed("github:acme/api:1", "success", None)
    await desk.commands.deploy(Deploy("api", "hotfix", "staging"), said(BOB))
    assert [d.sha for d in desk.forge.created] == ["a" * 40, "c" * 40]


async def test_a_deploy_nobody_hears_of_stops_being_in_flight_after_the_timeout(desk: Desk) -> None:
    await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    desk.clock.now += IN_FLIGHT_TIMEOUT - 60
    await desk.commands.status_changed("github:acme/api:1", "in_progress", None)  # re-arms the timeout
    desk.clock.now += IN_FLIGHT_TIMEOUT - 60
    with pytest.raises(CommandError, match="already deploying"):
        await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB))
    desk.clock.now += 120
    await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB))
    assert len(desk.forge.created) == 2


async def test_a_deploy_the_forge_refused_is_not_left_in_flight(desk: Desk) -> None:
    desk.forge.refuse_next_create = True
    with pytest.raises(UpstreamRejected):
        await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE, "deploy again"))
    assert len(desk.forge.created) == 1


async def production_request(desk: Desk, by: Person = ALICE) -> str:
    asked = await desk.commands.deploy(Deploy("api", None, "production"), said(by))
    assert isinstance(asked, Answer)
    assert "needs an approval by one of" in asked.text
    [button] = asked.buttons
    return button.value


async def test_production_waits_for_another_persons_approval(desk: Desk) -> None:
    approval = await production_request(desk)
    assert desk.forge.created == []
    with pytest.raises(CommandError, match="can't approve your own"):
        await desk.commands.approve(Approve(approval), said(ALICE, "approve"))
    with pytest.raises(CommandError, match="not an approver of `production`"):
        await desk.commands.approve(Approve(approval), said(BOB, "approve"))
    approved = await desk.commands.approve(Approve(approval), said(CAROL, "approve"))
    assert approved.startswith("👍 Approved by")
    [created] = desk.forge.created
    assert (created.environment, created.protected, created.requester) == ("production", True, ALICE)
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.commands.approve(Approve(approval), said(CAROL, "approve again"))
    assert "approval" in (await desk.actions())


async def test_approve_without_an_id_takes_the_newest_request_in_the_thread(desk: Desk) -> None:
    await production_request(desk)
    await desk.commands.approve(Approve(None), said(CAROL, "approve"))
    assert len(desk.forge.created) == 1
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.commands.approve(Approve(None), said(CAROL, "approve", SlackThread("C_ELSEWHERE")))


async def test_an_expired_approval_deploys_nothing(desk: Desk) -> None:
    approval = await production_request(desk)
    desk.clock.now += APPROVAL_WINDOW + 60
    # The store forgets it when the window closes (its TTL is in whole seconds, never longer).
    with pytest.raises(CommandError, match="no pending approval"):
        await desk.commands.approve(Approve(approval), said(CAROL, "approve"))
    assert desk.forge.created == []


async def test_a_waiting_approval_holds_the_environment(desk: Desk) -> None:
    approval = await production_request(desk)
    with pytest.raises(CommandError, match=f"waiting for approval `{approval}`"):
        await desk.commands.deploy(Deploy("api", None, "production"), said(BOB))
    desk.clock.now += APPROVAL_WINDOW + 1  # the approval lapsed, and its claim with it
    assert isinstance(await desk.commands.deploy(Deploy("api", None, "production"), said(BOB)), Answer)


async def test_the_status_message_follows_the_deploy_and_its_end_is_announced(desk: Desk) -> None:
    approval = await production_request(desk)
    await desk.commands.approve(Approve(approval), said(CAROL, "approve"))
    await desk.commands.status_changed("github:acme/api:1", "in_progress", "https://forge.test/run/1")
    await desk.commands.status_changed("github:acme/api:1", "in_progress", "https://forge.test/run/1")  # no news
    await desk.commands.status_changed("github:acme/api:1", "success", None)
    status, finished = desk.chat.messages.values()
    # Posted when approved (the request's own answer is posted by the runner), then edited in place.
    assert status.reply_key == "m-U_ALICE-deploy:answer"
    assert [edit.split(": ", 1)[1].split(" · ")[0] for edit in status.edits] == ["🚀 in progress", "✅ live"]
    assert finished.text == "✅ `api` `main` is live on `production`."
    assert [key for key, _ in desk.news][-1] == "github:acme/api:1:success"
    await desk.commands.status_changed("github:acme/api:404", "success", None)  # not opsbot's: nothing happens
    assert len(desk.chat.messages) == 2


async def test_a_status_delivered_late_does_not_undo_the_end(desk: Desk) -> None:
    # Forges and workers may deliver statuses out of order; the deploy stays finished.
    await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE))
    await desk.commands.status_changed("github:acme/api:1", "success", "https://forge.test/run/1")
    await desk.commands.status_changed("github:acme/api:1", "in_progress", "https://forge.test/run/1")
    await desk.commands.status_changed("github:acme/api:1", "queued", None)
    status, finished = desk.chat.messages.values()  # the status written once, the end announced once
    assert "✅ live" in status.text
    assert status.edits == []
    assert finished.text == "✅ `api` `main` is live on `staging`."
    [latest] = await desk.commands.latest_lines("api")
    assert latest.startswith("✅ live")
    # Nothing holds the environment: the next deploy goes ahead.
    await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB, "deploy again"))
    assert len(desk.forge.created) == 2


async def test_a_rollback_goes_to_the_last_success_of_another_commit(desk: Desk) -> None:
    for n, sha in enumerate(("1" * 40, "2" * 40, "2" * 40), start=1):
        desk.forge.branches[API]["main"] = sha
        await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE, f"deploy {n}"))
        await desk.commands.status_changed(f"github:acme/api:{n}", "success", None)
        desk.clock.now += 60
    await desk.commands.rollback(Rollback("api", "staging"), said(BOB, "rollback"))
    assert desk.forge.created[-1].sha == "1" * 40
    with pytest.raises(CommandError, match="no earlier successful deploy"):
        await desk.commands.rollback(Rollback("api", "production"), said(BOB, "rollback"))


async def test_a_lock_taken_while_an_approval_waits_stops_the_deploy(desk: Desk) -> None:
    approval = await production_request(desk)
    await desk.locking.lock(BOB, LockScope("production"), "freeze")
    with pytest.raises(CommandError, match="is locked by"):
        await desk.commands.approve(Approve(approval), said(CAROL, "approve"))
    assert desk.forge.created == []
