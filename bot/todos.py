"""The Ops agent's task list for a thread: ``[Ops]`` todos with statuses and blocked reasons.

The agent sends its whole list through the ``update_todos`` tool each time;
the list is validated here, stored per thread, and rendered as Markdown task
lines the way people see it (and the mirror writes it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.errors import CommandError
from bot.model import Place
from bot.redaction import redact

Status = Literal["pending", "in_progress", "completed", "blocked"]
STATUSES: tuple[Status, ...] = ("pending", "in_progress", "completed", "blocked")
PREFIX = "[Ops] "
MAX_TODOS = 50
MAX_TEXT = 300
MARKS = {"pending": "⬜", "in_progress": "🔄", "completed": "✅", "blocked": "⛔"}


def todo_id(content: str) -> str:
    """Stable across updates and renders: the agent resends whole lists, and a person's
    tick in a checklist names a todo only by its text."""
    normal = " ".join(content.removeprefix(PREFIX).lower().split())
    return hashlib.sha256(normal.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Todo:
    content: str  # always starts with "[Ops] "
    status: Status
    blocked_reason: str | None = None

    @property
    def id(self) -> str:
        return todo_id(self.content)

    def line(self) -> str:
        """One Markdown task line: ``- [ ] [Ops] …``, ``- [x] [Ops] …``, a blocked one says why."""
        box = "x" if self.status == "completed" else " "
        if self.status == "blocked":
            return f"- [{box}] {self.content} (BLOCKED - {self.blocked_reason})"
        suffix = " (in progress)" if self.status == "in_progress" else ""
        return f"- [{box}] {self.content}{suffix}"


def _clean(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CommandError(f"each todo needs a {what}")
    return " ".join(redact(text).split())[:MAX_TEXT]


def parse_todos(raw: object) -> list[Todo]:
    """Validate ``update_todos`` input; every todo is given the ``[Ops] `` prefix it must carry."""
    if not isinstance(raw, list):
        raise CommandError("`todos` must be a list")
    if len(raw) > MAX_TODOS:
        raise CommandError(f"at most {MAX_TODOS} todos per thread")
    todos: list[Todo] = []
    for item in raw:
        if not isinstance(item, dict):
            raise CommandError("each todo must be an object with content and status")
        content = _clean(item.get("content"), "content")
        if not content.startswith(PREFIX):
            # "[Engineer] x" is not ours to claim; the Ops prefix goes in front of whatever it says.
            content = PREFIX + content.removeprefix("[Ops]").strip()
        status = str(item.get("status", "")).lower()
        if status not in STATUSES:
            raise CommandError(f"todo status must be one of {', '.join(STATUSES)}, not {status!r}")
        reason = None
        if status == "blocked":
            reason = _clean(item.get("blocked_reason"), "blocked_reason when it is blocked")
        todos.append(Todo(content, next(s for s in STATUSES if s == status), reason))
    return todos


def render(todos: Sequence[Todo]) -> str:
    return "\n".join(todo.line() for todo in todos)


def to_json(todos: Sequence[Todo]) -> list[dict[str, Any]]:
    return [{"content": t.content, "status": t.status, "blocked_reason": t.blocked_reason} for t in todos]


def from_json(data: list[dict[str, Any]]) -> list[Todo]:
    return [Todo(d["content"], d["status"], d.get("blocked_reason")) for d in data]


class TodoStore(Protocol):
    async def save(self, place: Place, todos: Sequence[Todo]) -> None: ...

    async def load(self, place: Place) -> list[Todo]: ...
