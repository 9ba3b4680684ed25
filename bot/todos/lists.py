"""The Ops agent's task list for a thread: ``[Ops]`` todos with statuses and blocked reasons.

The agent sends its whole list through the ``update_todos`` tool each time;
the list is validated here, stored per thread, and rendered as Markdown task
lines the way people see it (and the mirror writes it).

A todo may have sub-tasks (``children``), one level deep as the definition
draws them (a phase and its steps); each child has its own status and is
rendered as a task line indented under its parent, so a person can tick it
on a forge like any other. At most ``MAX_TODOS`` items in all, children included.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.errors import CommandError
from bot.redaction import redact

Status = Literal["pending", "in_progress", "completed", "blocked"]
STATUSES: tuple[Status, ...] = ("pending", "in_progress", "completed", "blocked")
PREFIX = "[Ops] "
MAX_TODOS = 50  # in all, children included
MAX_TEXT = 300
WORD_JOINER = "\u2060"
# Two spaces nest a task list under "- " on GitHub and GitLab alike; cmark-gfm misreads four
# (github/cmark-gfm#168). A ticked nested box keeps its indent, which TASK_LINE allows.
CHILD_INDENT = "  "
# "[Engineer] …", "[QA] …": another agent's todo, which the Ops agent must not claim (or rewrite).
AGENT_PREFIX = re.compile(r"^\[(?P<agent>[^\[\]\n]{1,40})\]")
MARKS = {"pending": "⬜", "in_progress": "🔄", "completed": "✅", "blocked": "⛔"}


def todo_id(content: str) -> str:
    """Stable across updates and renders: the agent resends whole lists, and a person's
    tick in a checklist names a todo only by its text."""
    # A forge shows the text escaped (entities, a word joiner after "@"): read back, it is the same todo.
    shown = html.unescape(content).replace(WORD_JOINER, "")
    normal = " ".join(shown.removeprefix(PREFIX).lower().split())
    return hashlib.sha256(normal.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Todo:
    content: str  # always starts with "[Ops] "
    status: Status
    blocked_reason: str | None = None
    # Set when a person ticked or unticked the todo where it is mirrored: who,
    # and what the agent had said before, so a stale list from the agent
    # doesn't undo them (see merge_agent_list).
    changed_by: str | None = None
    agent_said: Status | None = None
    children: tuple[Todo, ...] = ()

    @property
    def id(self) -> str:
        return todo_id(self.content)

    def line(self) -> str:
        """One Markdown task line: ``- [ ] [Ops] …``, ``- [x] [Ops] …``, a blocked one says why."""
        box = "x" if self.status == "completed" else " "
        if self.status == "blocked":
            return f"- [{box}] {self.content} (BLOCKED - {self.blocked_reason})"
        if self.changed_by:
            return f"- [{box}] {self.content} ({'done' if box == 'x' else 'reopened'} by {self.changed_by})"
        suffix = " (in progress)" if self.status == "in_progress" else ""
        return f"- [{box}] {self.content}{suffix}"


# A task line as Todo.line writes it, after a person may have flipped its box.
TASK_LINE = re.compile(
    r"^\s*[-*] \[(?P<box>[ xX])\] (?P<content>\[Ops\] .+?)"
    r"(?: \((?:BLOCKED - .*|in progress|(?:done|reopened) by [^()]*)\))?\s*$"
)


def lines(todo: Todo) -> list[str]:
    """The todo's task line, then its children's, indented under it."""
    return [todo.line(), *(CHILD_INDENT + child.line() for child in todo.children)]


def every_item(todos: Sequence[Todo]) -> list[Todo]:
    """Parents and children alike, in the order they are shown."""
    return [item for todo in todos for item in (todo, *todo.children)]


def has_open_items(todos: Sequence[Todo]) -> bool:
    return any(t.status != "completed" for t in every_item(todos))


def ticks_in(body: str) -> dict[str, bool]:
    """Which todos a checklist shows ticked, by id: what a person sees is what counts."""
    found: dict[str, bool] = {}
    for line in body.splitlines():
        if (match := TASK_LINE.match(line)) is not None:
            found[todo_id(match["content"])] = match["box"] != " "
    return found


def apply_ticks(todos: Sequence[Todo], ticks: Mapping[str, bool], person: str) -> list[Todo]:
    """``todos`` after ``person`` ticked (done) or unticked (not done yet) some of them."""
    result = []
    for todo in todos:
        if todo.children:
            todo = replace(todo, children=tuple(apply_ticks(todo.children, ticks, person)))
        ticked = ticks.get(todo.id)
        if ticked is None or ticked == (todo.status == "completed"):
            result.append(todo)
            continue
        said = todo.agent_said if todo.changed_by else todo.status
        status: Status = "completed" if ticked else "pending"
        result.append(replace(todo, status=status, blocked_reason=None, changed_by=person, agent_said=said))
    return result


def merge_agent_list(stored: Sequence[Todo], given: Sequence[Todo]) -> list[Todo]:
    """The agent's new list, keeping what people changed since the agent last looked.

    A person's tick stands while the agent still reports the status it had
    before the tick (the agent hasn't caught up); once the agent reports
    something new, that is newer news than the tick and wins.
    """
    people = {t.id: t for t in every_item(stored) if t.changed_by}
    return _merged(people, given)


def _merged(people: Mapping[str, Todo], given: Sequence[Todo]) -> list[Todo]:
    merged = []
    for todo in given:
        children = tuple(_merged(people, todo.children))
        mine = people.get(todo.id)
        if mine is not None and todo.status == mine.agent_said:
            merged.append(replace(mine, content=todo.content, children=children))
        else:
            merged.append(replace(todo, children=children))
    return merged


def _clean(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CommandError(f"each todo needs a {what}")
    return " ".join(redact(text).split())[:MAX_TEXT]


def parse_todos(raw: object) -> list[Todo]:
    """Validate ``update_todos`` input; every todo is given the ``[Ops] `` prefix it must carry.

    A todo that carries another agent's prefix is refused, naming it: the agent
    must not claim (or quietly rename) someone else's work."""
    todos = _parse_list(raw, "todos", nested=True)
    if len(every_item(todos)) > MAX_TODOS:
        raise CommandError(f"at most {MAX_TODOS} todos per thread, sub-tasks included")
    return todos


def _parse_list(raw: object, what: str, *, nested: bool) -> list[Todo]:
    if not isinstance(raw, list):
        raise CommandError(f"`{what}` must be a list")
    if len(raw) > MAX_TODOS:
        raise CommandError(f"at most {MAX_TODOS} todos per thread, sub-tasks included")
    return [_parse_one(item, nested=nested) for item in raw]


def _parse_one(item: object, *, nested: bool) -> Todo:
    if not isinstance(item, dict):
        raise CommandError("each todo must be an object with content and status")
    content = _with_prefix(_clean(item.get("content"), "content"))
    status = str(item.get("status", "")).lower()
    if status not in STATUSES:
        raise CommandError(f"todo status must be one of {', '.join(STATUSES)}, not {status!r}")
    reason = None
    if status == "blocked":
        reason = _clean(item.get("blocked_reason"), "blocked_reason when it is blocked")
    children: list[Todo] = []
    if item.get("children") is not None:
        if not nested:
            raise CommandError(f"sub-tasks are one level deep: {content!r} is a sub-task and cannot have its own")
        children = _parse_list(item["children"], "children", nested=False)
    return Todo(content, next(s for s in STATUSES if s == status), reason, children=tuple(children))


def _with_prefix(content: str) -> str:
    found = AGENT_PREFIX.match(content)
    if found is None:
        return PREFIX + content  # a todo with no owner named is the Ops agent's
    if found["agent"].strip().lower() != "ops":
        raise CommandError(
            f"the todo {content!r} carries another agent's prefix [{found['agent']}]: "
            "never use another agent's prefix; your todos start with '[Ops] '"
        )
    return PREFIX + content[found.end() :].strip()


def render(todos: Sequence[Todo]) -> str:
    return "\n".join(line for todo in todos for line in lines(todo))


def to_json(todos: Sequence[Todo]) -> list[dict[str, Any]]:
    return [
        {
            "content": t.content,
            "status": t.status,
            "blocked_reason": t.blocked_reason,
            "changed_by": t.changed_by,
            "agent_said": t.agent_said,
            "children": to_json(t.children),
        }
        for t in todos
    ]


def from_json(data: list[dict[str, Any]]) -> list[Todo]:
    # Lists stored before sub-tasks existed have no "children": they load as todos without any.
    return [
        Todo(
            d["content"],
            d["status"],
            d.get("blocked_reason"),
            d.get("changed_by"),
            d.get("agent_said"),
            tuple(from_json(d.get("children") or [])),
        )
        for d in data
    ]
