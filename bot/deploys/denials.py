"""Turning down a deploy waiting for approval: the Home's Deny button, or ``deny [<id>]``.

An approver of the environment (or whoever asked, withdrawing it) closes the pending approval
without deploying anything; closing is the same atomic close approving uses, so a Deny and an
Approve clicked at once make one decision. The in-flight claim the request held is freed, so the
next request for that service and environment goes ahead, and the request's status message says
who turned it down (its Approve button goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.commands.entry import Entry, Form
from bot.config import OpsConfig
from bot.conversation.reporting import Reporter
from bot.deploys.deploying import Deploys
from bot.deploys.grammar import parse_approve
from bot.deploys.model import Plan
from bot.deploys.ports import ApprovalStore
from bot.errors import CommandError
from bot.model import ChatMessage


@dataclass(frozen=True)
class Deny:
    approval_id: str | None = None  # None: the pending approval in this thread


def parse_deny(args: list[str]) -> Deny:
    """The same words as ``approve``: at most one approval id."""
    return Deny(parse_approve(args).approval_id)


class Denials:
    def __init__(self, deploys: Deploys, approvals: ApprovalStore, reporter: Reporter, config: OpsConfig) -> None:
        self._deploys = deploys
        self._approvals = approvals
        self._reporter = reporter
        self._config = config

    async def deny(self, command: Deny, message: ChatMessage) -> str:
        person = message.author
        pending = (
            await self._approvals.get(command.approval_id)
            if command.approval_id
            else await self._approvals.latest_for(message.place)
        )
        if pending is None:
            raise CommandError("There is no pending approval here (it may have expired or been decided already).")
        environment = self._config.environments.get(pending.environment)
        withdrawn = person.handle == pending.requester.handle  # ops.yaml names people by handle
        if not withdrawn and (environment is None or not environment.may_approve(person.handle)):
            raise CommandError(f"You are not an approver of `{pending.environment}`, so you can't turn it down.")
        closed = await self._approvals.close(pending.id)
        if closed is None:
            raise CommandError("Someone decided on that deploy already.")
        target = self._deploys.target(closed.service, closed.environment, closed.origin)
        plan = Plan(closed.requester, target, closed.ref, closed.sha, closed.origin, closed.status_key)
        await self._deploys.release(plan, closed.id)  # the claim the request held while it waited
        how = "withdrawn" if withdrawn else "denied"
        detail = f"{how} {closed.id} for {closed.requester.handle} ({closed.sha[:7]})"
        await self._deploys.record(f"approval.{how}", person, detail, closed.environment, closed.service)
        what = "Rollback" if closed.rollback_of else "Deploy"
        text = (
            f"🚫 {what} of `{closed.service}` `{closed.ref}` (`{closed.sha[:7]}`) to `{closed.environment}` "
            f"for {closed.requester.ref} was {'withdrawn' if withdrawn else 'turned down'} by {person.ref}. "
            "Nothing was deployed."
        )
        await self._reporter.update(closed.origin, closed.status_key, text)  # without its Approve button
        return text


DENY_COMMANDS: tuple[Entry[Denials, Any], ...] = (
    # Like approving, a person's own decision: the agent can't do it for them.
    Entry(
        Deny, ("deny",), "deny [<id>]",
        "turn down a pending deploy to a protected environment (approvers; whoever asked may withdraw it)",
        parse_deny, Denials.deny,
        example="deny 3f9a1c",
        who="the environment's approvers in ops.yaml; whoever asked for the deploy, to withdraw it",
        forms=(Form("deny", "the pending approval in this thread"),),
    ),
)  # fmt: skip
