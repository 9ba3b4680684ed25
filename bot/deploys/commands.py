"""The deploy, rollback and approve commands, their table entries, and deploy status as people see it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.commands.entry import (
    ENVIRONMENT_INPUT,
    REF_INPUT,
    SERVICE_INPUT,
    AgentTool,
    Availability,
    Entry,
    Form,
    among,
)
from bot.config import OpsConfig
from bot.conversation.reporting import Reporter
from bot.deploys.approvals import APPROVAL_WINDOW, PendingApproval
from bot.deploys.audit import DRY_RUN
from bot.deploys.deploying import TERMINAL, Deploys
from bot.deploys.grammar import (
    DRY_RUN_FLAG,
    Approve,
    Deploy,
    Rollback,
    parse_approve,
    parse_deploy,
    parse_rollback,
)
from bot.deploys.model import Deployment, Plan, Target
from bot.deploys.ports import ApprovalStore, AuditLog, DeployNews
from bot.errors import CommandError, UpstreamError
from bot.forges import ForgeName
from bot.model import Answer, Button, ChatMessage
from bot.text import link, mention_handle

APPROVE_ACTION = "opsbot_approve"  # Slack action id of the Approve button
DRY_RUN_INPUT = {"type": "boolean", "description": "run every check and return the plan; nothing is created"}

SHOWN_STATES = {
    "pending": "⏳ queued",
    "queued": "⏳ queued",
    "in_progress": "🚀 in progress",
    "success": "✅ live",
    "failure": "❌ failed",
    "error": "❌ failed (error)",
    "inactive": "💤 superseded",
    "cancelled": "🛑 cancelled",
}

log = logging.getLogger(__name__)


def status_text(deployment: Deployment) -> str:
    state = SHOWN_STATES.get(deployment.status, deployment.status)
    url = deployment.url
    details = f" · {link(url, 'details')}" if url and url.startswith("https://") else ""
    what = "Rollback" if deployment.rollback_of else "Deploy"
    return (
        f"{what} of `{deployment.service}` `{deployment.ref}` (`{deployment.sha[:7]}`) to `{deployment.environment}` "
        f"for {deployment.requester.ref}: {state}{details}"
    )


def finished_text(deployment: Deployment) -> str | None:
    if deployment.status == "success":
        return f"✅ `{deployment.service}` `{deployment.ref}` is live on `{deployment.environment}`."
    if deployment.status in ("failure", "error"):
        return f"❌ Deploy of `{deployment.service}` `{deployment.ref}` to `{deployment.environment}` failed."
    if deployment.status == "cancelled":
        return f"🛑 Deploy of `{deployment.service}` `{deployment.ref}` to `{deployment.environment}` was cancelled."
    return None


class DeployCommands:
    def __init__(
        self,
        deploys: Deploys,
        approvals: ApprovalStore,
        reporter: Reporter,
        audit: AuditLog,
        config: OpsConfig,
        clock: Callable[[], float],
        news: DeployNews | None = None,
    ) -> None:
        self._deploys = deploys
        self._approvals = approvals
        self._reporter = reporter
        self._audit = audit
        self._config = config
        self._clock = clock
        # Told of every deploy and rollback that starts or ends (open incidents announce them).
        self._news = news

    # -- who help lists them for (the checks the commands make, asked without acting) ----------
    def deployable(self, message: ChatMessage) -> Availability:
        """Deploy and rollback: for the environments ``message``'s author may deploy to (ops.yaml's
        deployers; on a forge, write access is asked when they deploy)."""
        environments = list(self._config.environments.values())
        mine = [e for e in environments if e.may_deploy(message.author.handle)]
        found = among([e.name for e in environments], [e.name for e in mine], "you may deploy to")
        waiting = [f"`{e.name}`" for e in mine if e.protected]
        if waiting:
            return replace(found, note=f"{found.note} ({', '.join(waiting)} after another person's approval)")
        return found

    def approvable(self, message: ChatMessage) -> Availability:
        environments = list(self._config.environments.values())
        mine = [e.name for e in environments if e.may_approve(message.author.handle)]
        return among([e.name for e in environments if e.protected], mine, "you approve deploys to")

    # -- the commands ------------------------------------------------------------------------
    async def _target(
        self, deploys: Deploys, service: str | None, environment: str, message: ChatMessage, what: str
    ) -> Target:
        try:
            return deploys.target(service, environment, message.place)
        except CommandError as refusal:
            await deploys.refused(message.author, f"{what}: {refusal}", environment, service)
            raise

    def _for(self, dry_run: bool) -> Deploys:
        return self._deploys.as_dry_run() if dry_run else self._deploys

    async def deploy(self, command: Deploy, message: ChatMessage) -> Answer | str:
        deploys = self._for(command.dry_run)
        target = await self._target(deploys, command.service, command.environment, message, "deploy")
        await deploys.requested(message.author, target, f"deploy {command.ref or 'default ref'}")
        await deploys.authorise(message.author, target)
        await deploys.check_lock(message.author, target)
        try:
            ref, sha = await deploys.resolve_ref(target, command.ref, message.place)
        except CommandError as refusal:
            await deploys.refused(message.author, str(refusal), target.environment.name, target.service.name)
            raise
        return await self._go(deploys, Plan(message.author, target, ref, sha, message.place, f"{message.id}:answer"))

    async def rollback(self, command: Rollback, message: ChatMessage) -> Answer | str:
        deploys = self._for(command.dry_run)
        target = await self._target(deploys, command.service, command.environment, message, "rollback")
        await deploys.requested(message.author, target, "rollback")
        await deploys.authorise(message.author, target)
        await deploys.check_lock(message.author, target)
        try:
            previous = await deploys.previous_success(target)
        except CommandError as refusal:
            await deploys.refused(message.author, str(refusal), target.environment.name, target.service.name)
            raise
        return await self._go(
            deploys,
            Plan(
                message.author, target, previous.ref, previous.sha, message.place, f"{message.id}:answer", previous.key
            ),
        )

    async def _go(self, deploys: Deploys, plan: Plan) -> Answer | str:
        """The point of creation: a deployment, a request for approval, or, in a dry run, the plan."""
        approvers = await self._approvers(deploys, plan)
        if deploys.dry_run:
            return await self._dry_run_plan(deploys, plan, approvers)
        if approvers:
            return await self._ask_for_approval(plan, approvers)
        deployment = await deploys.create(plan)
        await self._tell(f"{deployment.key}:created", status_text(deployment))
        return status_text(deployment)

    async def _approvers(self, deploys: Deploys, plan: Plan) -> list[str]:
        """Who may approve ``plan``: none needed outside a protected environment, never the requester."""
        environment = plan.target.environment
        if not environment.protected:
            return []
        approvers = [a for a in environment.approvers if a != plan.requester.handle]
        if not approvers:
            why = f"`{environment.name}` needs an approval by someone else, and no other approver is listed."
            await deploys.refused(plan.requester, why, environment.name, plan.target.service.name)
            raise CommandError(why)
        return approvers

    async def _dry_run_plan(self, deploys: Deploys, plan: Plan, approvers: list[str]) -> str:
        await deploys.check_in_flight(plan)  # last, where the real request claims
        service, environment = plan.target.service.name, plan.target.environment.name
        what = (
            f"roll back `{service}` on `{environment}` to `{plan.ref}` (`{plan.sha[:7]}`)"
            if plan.rollback_of
            else f"deploy `{service}` `{plan.ref}` (`{plan.sha[:7]}`) to `{environment}`"
        )
        verb = "roll back to" if plan.rollback_of else "deploy"
        detail = f"would {verb} {plan.ref} ({plan.sha[:7]}); {approval_needed(approvers, str)}"
        await deploys.record(DRY_RUN, plan.requester, detail, environment, service)
        return f"🧪 Dry run: would {what}; {approval_needed(approvers, _ref)}. Every check passed; nothing was created."

    async def _ask_for_approval(self, plan: Plan, approvers: list[str]) -> Answer:
        environment = plan.target.environment
        approval = PendingApproval(
            id=PendingApproval.new_id(), service=plan.target.service.name, environment=environment.name,
            ref=plan.ref, sha=plan.sha, requester=plan.requester, origin=plan.origin, status_key=plan.status_key,
            expires_at=self._clock() + APPROVAL_WINDOW, rollback_of=plan.rollback_of,
        )  # fmt: skip
        # A deploy waiting for approval is in flight: a second request points at this one.
        await self._deploys.claim(plan, approval.id, approval.expires_at, approval=approval.id)
        try:
            await self._approvals.open(approval)
        except BaseException:
            await self._deploys.release(plan, approval.id)
            raise
        await self._deploys.requested(
            plan.requester, plan.target, f"approval {approval.id} requested for {plan.sha[:7]}"
        )
        minutes = int(APPROVAL_WINDOW // 60)
        return Answer(
            f"⏳ `{environment.name}` is protected: deploying `{plan.target.service.name}` `{plan.ref}` "
            f"(`{plan.sha[:7]}`) {approval_needed(approvers, _ref)} within {minutes} minutes. "
            f"Approve with `approve {approval.id}` (or `@opsbot approve` on the pull/merge request).",
            buttons=(Button(f"Approve {approval.id}", APPROVE_ACTION, approval.id),),
        )

    async def approve(self, command: Approve, message: ChatMessage) -> str:
        approver = message.author
        pending = (
            await self._approvals.get(command.approval_id)
            if command.approval_id
            else await self._approvals.latest_for(message.place)
        )
        if pending is None:
            raise CommandError("There is no pending approval here (it may have expired or been approved already).")
        if approver.handle == pending.requester.handle:  # ops.yaml names people by handle
            raise CommandError("You can't approve your own deploy: someone else has to.")
        environment = self._config.environments.get(pending.environment)
        if environment is None or not environment.may_approve(approver.handle):
            raise CommandError(f"You are not an approver of `{pending.environment}`.")
        if self._clock() > pending.expires_at:
            raise CommandError("That approval request has expired; ask for the deploy again.")
        closed = await self._approvals.close(pending.id)
        if closed is None:
            raise CommandError("Someone approved that deploy already.")
        target = self._deploys.target(closed.service, closed.environment, closed.origin)
        detail = f"approved {closed.id} for {closed.requester.handle} ({closed.sha[:7]})"
        await self._deploys.record("approval", approver, detail, closed.environment, closed.service)
        deployment = await self._deploys.create(
            Plan(
                closed.requester, target, closed.ref, closed.sha, closed.origin, closed.status_key, closed.rollback_of
            ),
            token=closed.id,  # the claim the approval has held while it waited
        )
        await self._reporter.update(closed.origin, closed.status_key, status_text(deployment))
        await self._tell(f"{deployment.key}:created", status_text(deployment))
        return f"👍 Approved by {approver.ref}. {status_text(deployment)}"

    async def latest_lines(self, service: str | None) -> list[str]:
        return [
            f"{SHOWN_STATES.get(d.status, d.status)} `{d.service}` → `{d.environment}`: `{d.ref}` (`{d.sha[:7]}`) "
            f"by {d.requester.ref}"
            for d in await self._deploys.latest(service)
        ]

    async def key_for_commit(self, forge: ForgeName, repo: str, environment: str, sha_prefix: str) -> str | None:
        return await self._deploys.key_for_commit(forge, repo, environment, sha_prefix)

    async def status_changed(self, key: str, status: str, url: str | None) -> None:
        """A forge reported progress: update the status message, announce the end."""
        change = await self._deploys.status_changed(key, status, url)
        if change is None:
            return  # not a deployment opsbot created
        before, after = change
        if before.status == after.status and before.url == after.url:
            return
        await self._reporter.update(after.origin, after.status_key, status_text(after))
        if after.status in TERMINAL and (text := finished_text(after)) is not None:
            await self._reporter.announce(after.origin, f"{after.key}:{after.status}", text)
            await self._tell(f"{after.key}:{after.status}", text)

    async def _tell(self, key: str, text: str) -> None:
        if self._news is None:
            return
        try:
            await self._news(key, text)
        except UpstreamError as exc:
            # The deploy happened; a missed line in an incident channel must not make the job
            # run again (and ask the forge twice).
            log.warning("could not tell open incidents of a deploy", extra={"key": key, "error": str(exc)})


def _ref(handle: str) -> str:
    return mention_handle(handle)


def approval_needed(approvers: list[str], named: Callable[[str], str]) -> str:
    if not approvers:
        return "no approval needed"
    return f"needs an approval by one of {', '.join(named(a) for a in approvers)}"


def _deploy_args(given: dict[str, Any]) -> list[str]:
    service = given.get("service")
    dry_run = [DRY_RUN_FLAG] if given.get("dry_run") is True else []
    if not service:
        return ["to", str(given.get("environment", "")), *dry_run]
    ref = given.get("ref")
    return [f"{service}@{ref}" if ref else str(service), "to", str(given.get("environment", "")), *dry_run]


DEPLOYERS = (
    "the environment's deployers in ops.yaml (anyone when it lists none); on GitHub and GitLab only those "
    "with write access (Developer or more) to the service's repository. A protected environment then waits "
    "for an approval by another person"
)

DEPLOY_COMMANDS: tuple[Entry[DeployCommands, Any], ...] = (
    Entry(
        Deploy, ("deploy",), "deploy <service>[@<ref>] to <env> [--dry-run]",
        "deploy a service (on a PR/MR: `deploy to <env>` deploys its head commit)", parse_deploy, DeployCommands.deploy,
        AgentTool(
            "deploy", "action",
            {"service": SERVICE_INPUT, "environment": ENVIRONMENT_INPUT, "ref": REF_INPUT, "dry_run": DRY_RUN_INPUT},
            ("environment",), _deploy_args,
            "Leave out service and ref on a pull/merge request to deploy its head. Protected environments "
            "(production) are not deployed at once: a request for approval by another person is posted. "
            "With dry_run, every check runs and the plan comes back; nothing is created.",
        ),
        example="deploy api to staging", who=DEPLOYERS,
        forms=(
            Form("deploy <service>@<ref> to <env>", "a branch, tag or commit instead of the default branch"),
            Form("deploy to <env>", "on a pull or merge request: its head commit"),
            Form(
                "deploy <service> to <env> --dry-run",
                "every check a deploy makes (the service, the environment, you, locks, a deploy in flight, "
                "the commit, who must approve) and the plan; nothing is created",
            ),
        ),
        available=DeployCommands.deployable,
    ),
    Entry(
        Rollback, ("rollback",), "rollback <service> <env> [--dry-run]", "redeploy the previous successful ref",
        parse_rollback, DeployCommands.rollback,
        AgentTool(
            "rollback", "action", {"service": SERVICE_INPUT, "environment": ENVIRONMENT_INPUT},
            ("service", "environment"), lambda g: [str(g.get("service", "")), str(g.get("environment", ""))],
        ),
        example="rollback api staging", who=DEPLOYERS,
        forms=(Form("rollback <service> <env> --dry-run", "the checks and the plan; nothing is created"),),
        available=DeployCommands.deployable,
    ),
    # Approving is a second person's own act: the agent can't do it for them.
    Entry(
        Approve, ("approve",), "approve [<id>]", "approve a pending deploy to a protected environment (not your own)",
        parse_approve, DeployCommands.approve,
        example="approve 3f9a1c",
        who="the environment's approvers in ops.yaml, never the person who asked for the deploy",
        forms=(Form("approve", "the pending approval in this thread"),),
        available=DeployCommands.approvable,
    ),
)  # fmt: skip
