"""Carry out a parsed command on behalf of the person who asked.

One method per command, chosen through one table (:attr:`CommandRunner._table`);
anything not in the table yet answers plainly that it isn't available.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.commands.registry import help_lines
from bot.commands.types import (
    Approve,
    Command,
    Deploy,
    Forget,
    Help,
    IncidentCommander,
    IncidentDeclare,
    IncidentResolve,
    IncidentSnooze,
    IncidentUpdate,
    Lock,
    Locks,
    Memories,
    Remember,
    Rollback,
    Status,
    Todos,
    Unlock,
)
from bot.deploys.audit import AuditEntry
from bot.deploys.commands import DeployCommands
from bot.deploys.locks import Locking
from bot.deploys.model import LockScope
from bot.deploys.ports import AuditLog
from bot.incidents.lifecycle import Incidents
from bot.memory.commands import MemoryCommands
from bot.model import Answer, ChatMessage
from bot.todos.lists import render
from bot.todos.ports import TodoStore

STATUS_ACTIVITY = 10  # audit entries shown by `status`


def command_prefix(message: ChatMessage, bot_name: str) -> str:
    """How the person invokes opsbot where they are: ``/ops `` or ``@opsbot ``."""
    if message.platform_uses_slash():
        return "/ops "
    return f"@{bot_name} "


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def describe(entry: AuditEntry) -> str:
    where = "/".join(part for part in (entry.environment, entry.service) if part)
    return f"{when(entry.at)} · {entry.action} {where} by {entry.actor.ref}: {entry.detail}"


class CommandRunner:
    def __init__(
        self,
        bot_name: str,
        locking: Locking,
        audit: AuditLog,
        deploying: DeployCommands,
        remembering: MemoryCommands,
        todos: TodoStore,
        incidents: Incidents | None = None,
    ) -> None:
        self._bot_name = bot_name
        self._locking = locking
        self._audit = audit
        self._deploying = deploying
        self._todos = todos
        self._table: dict[type[Any], Callable[[Any, ChatMessage], Awaitable[Answer | str]]] = {
            Help: self._help,
            Deploy: deploying.deploy,
            Rollback: deploying.rollback,
            Approve: deploying.approve,
            Remember: remembering.remember,
            Memories: remembering.list,
            Forget: remembering.forget,
            Lock: self._lock,
            Unlock: self._unlock,
            Locks: self._locks,
            Status: self._status,
            Todos: self._show_todos,
        }
        if incidents is not None:
            self._table |= {
                IncidentDeclare: lambda c, m: incidents.declare(c.title, c.severity, m),
                IncidentUpdate: lambda c, m: incidents.update(c.text, m),
                IncidentCommander: lambda c, m: incidents.set_commander(c.user, m),
                IncidentSnooze: lambda c, m: incidents.snooze(c.minutes, m),
                IncidentResolve: lambda c, m: incidents.resolve(c.summary, m),
            }

    async def run(self, command: Command, message: ChatMessage) -> Answer | str:
        handler = self._table.get(type(command))
        if handler is None:
            # The grammar is parsed and validated already; each capability
            # switches on as it lands, and until then says so plainly.
            name = type(command).__name__.lower()
            return f"`{name}` is part of opsbot's grammar but is not available in this version yet."
        return await handler(command, message)

    def help(self, message: ChatMessage) -> str:
        prefix = command_prefix(message, self._bot_name)
        return "\n".join(["**opsbot** understands:", *(f"• {line}" for line in help_lines(prefix))])

    async def _help(self, command: Help, message: ChatMessage) -> str:
        return self.help(message)

    async def _lock(self, command: Lock, message: ChatMessage) -> str:
        scope = LockScope(command.environment, command.service)
        lock = await self._locking.lock(message.author, scope, command.reason)
        reason = f": {lock.reason}" if lock.reason else ""
        return (
            f"🔒 `{lock.scope.label}` is locked by {lock.holder.ref}{reason}. "
            "Others can't deploy there until you `unlock`."
        )

    async def _unlock(self, command: Unlock, message: ChatMessage) -> str:
        lock = await self._locking.unlock(message.author, LockScope(command.environment, command.service))
        whose = "" if lock.holder == message.author else f" (it was held by {lock.holder.ref})"
        return f"🔓 `{lock.scope.label}` is unlocked{whose}."

    async def _locks(self, command: Locks, message: ChatMessage) -> str:
        return self._render_locks(await self._locking.all()) or "No locks are held."

    def _render_locks(self, locks: list[Any]) -> str:
        return "\n".join(
            f"🔒 `{lock.scope.label}` by {lock.holder.ref} since {when(lock.since)}"
            + (f": {lock.reason}" if lock.reason else "")
            for lock in locks
        )

    async def _status(self, command: Status, message: ChatMessage) -> str:
        locks = [
            lock
            for lock in await self._locking.all()
            if command.service is None or lock.scope.service in (None, command.service)
        ]
        activity = await self._audit.recent(STATUS_ACTIVITY, service=command.service)
        title = f"**Status of {command.service}**" if command.service else "**Status**"
        deploys = await self._deploying.latest_lines(command.service)
        lines = [title, "", "Latest deploys:", *(deploys or ["none yet"])]
        lines += ["", "Locks:", self._render_locks(locks) or "none"]
        lines += ["", "Recent activity:", *(f"• {describe(entry)}" for entry in activity)] if activity else []
        return "\n".join(lines)

    async def _show_todos(self, command: Todos, message: ChatMessage) -> str:
        todos = await self._todos.load(message.place)
        if not todos:
            return "The Ops agent has no todos in this thread."
        done = sum(todo.status == "completed" for todo in todos)
        return f"**[Ops] todos here** ({done} of {len(todos)} done)\n{render(todos)}"
