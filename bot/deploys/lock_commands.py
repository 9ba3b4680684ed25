"""The lock, unlock, locks and status commands: what holds deploys, and what has happened lately."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bot.commands.entry import ENVIRONMENT_INPUT, SERVICE_INPUT, AgentTool, Availability, Entry, Form, among, optional
from bot.commands.grammar import no_args
from bot.deploys.audit import AuditEntry
from bot.deploys.commands import DeployCommands
from bot.deploys.grammar import Lock, Locks, Status, Unlock, parse_lock, parse_status, parse_unlock
from bot.deploys.locks import Locking
from bot.deploys.model import Lock as HeldLock
from bot.deploys.model import LockScope
from bot.deploys.ports import AuditLog
from bot.model import ChatMessage

STATUS_ACTIVITY = 10  # audit entries shown by `status`
REASON_INPUT = {"type": "string", "maxLength": 200}


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def describe(entry: AuditEntry) -> str:
    where = "/".join(part for part in (entry.environment, entry.service) if part)
    return f"{when(entry.at)} · {entry.action} {where} by {entry.actor.ref}: {entry.detail}"


def render_locks(locks: list[HeldLock]) -> str:
    return "\n".join(
        f"🔒 `{lock.scope.label}` by {lock.holder.ref} since {when(lock.since)}"
        + (f": {lock.reason}" if lock.reason else "")
        for lock in locks
    )


class LockCommands:
    def __init__(self, locking: Locking, audit: AuditLog, deploying: DeployCommands) -> None:
        self._locking = locking
        self._audit = audit
        self._deploying = deploying

    def lockable(self, message: ChatMessage) -> Availability:
        environments = self._locking.environments()
        mine = [e for e in environments if self._locking.may_lock(message.author, e)]
        return among(environments, mine, "you may lock")

    def unlockable(self, message: ChatMessage) -> Availability:
        """Your own locks, and others' where you approve."""
        environments = self._locking.environments()
        mine = [e for e in environments if self._locking.may_lock(message.author, e)]
        breaks = [e for e in environments if self._locking.may_break(message.author, e)]
        found = among(environments, list(dict.fromkeys(mine + breaks)), "you may unlock")
        if breaks:
            listed = ", ".join(f"`{e}`" for e in breaks)
            return replace(found, note=f"{found.note} (others' locks too on {listed})")
        return found

    async def lock(self, command: Lock, message: ChatMessage) -> str:
        scope = LockScope(command.environment, command.service)
        lock = await self._locking.lock(message.author, scope, command.reason)
        reason = f": {lock.reason}" if lock.reason else ""
        return (
            f"🔒 `{lock.scope.label}` is locked by {lock.holder.ref}{reason}. "
            "Others can't deploy there until you `unlock`."
        )

    async def unlock(self, command: Unlock, message: ChatMessage) -> str:
        lock = await self._locking.unlock(message.author, LockScope(command.environment, command.service))
        whose = "" if lock.holder == message.author else f" (it was held by {lock.holder.ref})"
        return f"🔓 `{lock.scope.label}` is unlocked{whose}."

    async def locks(self, command: Locks, message: ChatMessage) -> str:
        return render_locks(await self._locking.all()) or "No locks are held."

    async def status(self, command: Status, message: ChatMessage) -> str:
        locks = [
            lock
            for lock in await self._locking.all()
            if command.service is None or lock.scope.service in (None, command.service)
        ]
        activity = await self._audit.recent(STATUS_ACTIVITY, service=command.service)
        title = f"**Status of {command.service}**" if command.service else "**Status**"
        deploys = await self._deploying.latest_lines(command.service)
        lines = [title, "", "Latest deploys:", *(deploys or ["none yet"])]
        lines += ["", "Locks:", render_locks(locks) or "none"]
        lines += ["", "Recent activity:", *(f"• {describe(entry)}" for entry in activity)] if activity else []
        return "\n".join(lines)


def _lock_args(given: dict[str, Any]) -> list[str]:
    reason = str(given.get("reason") or "").split()
    return [
        str(given.get("environment", "")),
        *optional(given.get("service")),
        *(["--reason", *reason] if reason else []),
    ]


LOCK_COMMANDS: tuple[Entry[LockCommands, Any], ...] = (
    Entry(
        Status, ("status",), "status [<service>]", "recent deploys, locks and audit", parse_status,
        LockCommands.status,
        AgentTool(
            "status", "read", {"service": SERVICE_INPUT}, (), lambda g: optional(g.get("service")),
            "Without a service: every service.",
        ),
        questions_fall_through=True,
        example="status api", who="anyone",
        forms=(Form("status", "every service: its latest deploys, the locks and the audit, dry runs included"),),
    ),
    Entry(
        Lock, ("lock",), "lock <env> [<service>] [--reason <text>]", "hold deploys to an environment", parse_lock,
        LockCommands.lock,
        AgentTool(
            "lock", "action",
            {"environment": ENVIRONMENT_INPUT, "service": SERVICE_INPUT, "reason": REASON_INPUT}, ("environment",),
            _lock_args,
        ),
        example="lock staging api --reason load test",
        who="the environment's deployers in ops.yaml (anyone when it lists none)",
        forms=(
            Form("lock <env>", "every service in the environment"),
            Form("lock <env> <service> --reason <text>", "one service, saying why (the rest of the line)"),
        ),
        available=LockCommands.lockable,
    ),
    Entry(
        Unlock, ("unlock",), "unlock <env> [<service>]", "release your lock", parse_unlock, LockCommands.unlock,
        AgentTool(
            "unlock", "action", {"environment": ENVIRONMENT_INPUT, "service": SERVICE_INPUT}, ("environment",),
            lambda g: [str(g.get("environment", "")), *optional(g.get("service"))],
        ),
        example="unlock staging api",
        who="whoever holds the lock; an approver of the environment may release someone else's",
        available=LockCommands.unlockable,
    ),
    Entry(
        Locks, ("locks",), "locks", "list the locks that are held", no_args(Locks()), LockCommands.locks,
        AgentTool("locks", "read", {}, (), lambda g: []),
        questions_fall_through=True,
        example="locks", who="anyone",
    ),
)  # fmt: skip
