"""The agent's todos where people work: one tracking message per thread, edited in place.

On GitHub and GitLab the message is a comment carrying ``<!-- opsbot:todos -->``
and one Markdown task line per todo; in Slack it is one message in the
thread. Edits notify nobody, so a todo that becomes blocked, and the moment
everything is done, also get a short new message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot.conversation.markers import TRACKING
from bot.conversation.reporting import Reporter
from bot.model import Place, earlier_thread_keys, thread_key
from bot.ports import Marks
from bot.text import hidden
from bot.todos.lists import Todo, every_item, render

BODY_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters; room for the reply marker
REMEMBER_BODY = 90 * 24 * 3600.0


def tracking_body(todos: Sequence[Todo], limit: int = BODY_LIMIT, note: str = "") -> str:
    """The tracking message. Past ``limit``, completed todos go first, then the oldest
    open ones; the summary line always stays and says how many are not shown. ``note``
    is opsbot's own word on the list, shown under it."""
    items = every_item(todos)  # sub-tasks count like any other todo
    done = sum(t.status == "completed" for t in items)
    blocked = sum(t.status == "blocked" for t in items)
    summary = f"**[Ops] todos**: {done} of {len(items)} done" + (f", {blocked} blocked" if blocked else "")
    shown = list(todos)
    dropped = 0

    def body_text() -> str:
        more = f"\n\n_{dropped} more not shown (the list is longer than a comment can hold)_" if dropped else ""
        more += f"\n\n_{note}_" if note else ""
        return f"{hidden(TRACKING)}\n{summary}\n\n" + render(shown) + more

    body = body_text()
    while len(body) > limit and shown:
        victim = next((t for t in shown if t.status == "completed"), shown[0])
        shown.remove(victim)
        dropped += 1
        body = body_text()
    return body


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class TodoMirror:
    def __init__(self, reporter: Reporter, marks: Marks) -> None:
        self._reporter = reporter
        self._marks = marks

    async def publish(
        self,
        place: Place,
        before: Sequence[Todo],
        after: Sequence[Todo],
        *,
        announce: bool = True,
        force: bool = False,
        note: str = "",
    ) -> None:
        """Show ``after`` at ``place``; ``force`` rewrites it even if opsbot's last text was the
        same (a person's edit that was not theirs to make is put back)."""
        key = f"todos:{thread_key(place)}"
        body = tracking_body(after, note=note)
        published = f"todos-body:{key}"
        if force or await self._marks.get(published) != digest(body):  # an unchanged list is not rewritten
            # A tracking comment lives as long as its thread: look for it back to the start.
            formerly = [f"todos:{name}" for name in earlier_thread_keys(place)]
            await self._reporter.update(place, key, body, since=0.0, formerly=formerly)
            await self._marks.set(published, REMEMBER_BODY, digest(body))
        if announce:
            await self._announce(place, key, before, after, body)

    async def _announce(self, place: Place, key: str, before: Sequence[Todo], after: Sequence[Todo], body: str) -> None:
        was = {t.id: t for t in every_item(before)}
        for todo in every_item(after):
            earlier = was.get(todo.id)
            if todo.status == "blocked" and (earlier is None or earlier.status != "blocked"):
                await self._reporter.announce(
                    place,
                    f"{key}:blocked:{todo.id}:{digest(todo.blocked_reason or '')}",
                    f"⛔ Blocked: {todo.content}: {todo.blocked_reason}",
                )
        finished = bool(after) and all(t.status == "completed" for t in every_item(after))
        if finished and not (before and all(t.status == "completed" for t in every_item(before))):
            await self._reporter.announce(place, f"{key}:done:{digest(body)}", "✅ All [Ops] todos here are done.")
