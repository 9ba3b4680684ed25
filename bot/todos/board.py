"""The Ops agent's todos for a conversation: kept in one place, shown where people work,
and changed back by people who tick a box or close an issue.

The store holds each conversation's list. Every change, from the agent or
from a person, goes through here under a per-conversation mutex, is saved,
and is then published:

- in the conversation itself (a Slack thread message, or the tracking
  comment of a PR/MR/issue), with short announcements for blocked and done;
- in ``issues`` mode, as one issue per todo in the conversation's repository
  (``todos.repo`` for Slack), at most ``agent.max_todo_issues`` of them per
  conversation: the rest are kept in the list and shown only in the
  conversation. A sub-task is a task line under its parent in the
  conversation, never an issue of its own (its parent's issue stands for it);
- in ``checklist`` mode, a Slack conversation also gets one issue in
  ``todos.repo`` whose tracking comment mirrors the list.

A person's change counts only when they can push to the repository where
they made it; otherwise what they changed is put back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.config import OpsConfig
from bot.conversation.markers import todo_issue, todo_issues_in, todo_thread
from bot.conversation.reporting import Reporter
from bot.forges import ForgeAccess, ForgeName, forge_repo, push_access, repository
from bot.model import GitHubThread, GitLabThread, Person, Place, SlackThread, place_from_json, public_place, thread_key
from bot.ports import IssueTracker, Marks, Mutexes
from bot.text import channel
from bot.todos.checklist import TodoMirror, digest
from bot.todos.follow_ups import follow_ups
from bot.todos.lists import MAX_TODOS, Todo, apply_ticks, every_item, merge_agent_list, ticks_in
from bot.todos.ports import IncidentIssue, TodoStore

log = logging.getLogger(__name__)

TODO_LABEL = "ops-todo"
BLOCKED_LABEL = "blocked"
REMEMBER = 90 * 24 * 3600.0  # as long as the store keeps a list
TITLE_LIMIT = 250  # GitHub refuses titles over 256 characters

Outcome = Literal["changed", "unchanged", "refused", "stale", "unknown"]
Mirrored = Literal["has an issue", "opened", "withheld"]


@dataclass(frozen=True)
class SavedList:
    """The list as saved, and how many of its todos ``issues`` mode kept out of the forge (the bound was reached)."""

    todos: list[Todo]
    not_opened: int = 0


@dataclass(frozen=True)
class IssueHome:
    """The repository where a conversation's todo issues live."""

    forge: ForgeName
    repo: str


def where_from(origin: Place) -> str:
    if isinstance(origin, GitHubThread):
        return f"{origin.repo}#{origin.number}"
    if isinstance(origin, GitLabThread):
        return f"{origin.project}{'!' if origin.kind == 'merge_request' else '#'}{origin.iid}"
    if isinstance(origin, SlackThread):
        return f"the Slack thread {origin.thread_ts or ''} in {channel(origin.channel)}".replace("  ", " ")
    return "the console"


class TodoBoard:
    def __init__(
        self,
        store: TodoStore,
        mirror: TodoMirror,
        reporter: Reporter,
        trackers: Mapping[ForgeName, IssueTracker],
        forges: Mapping[ForgeName, ForgeAccess],
        marks: Marks,
        mutexes: Mutexes,
        config: OpsConfig,
        incident_issue: IncidentIssue | None = None,
    ) -> None:
        self._store = store
        self._mirror = mirror
        self._reporter = reporter
        self._trackers = trackers
        self._forges = forges
        self._marks = marks
        self._mutexes = mutexes
        self._config = config
        # An incident channel's todos are one list, mirrored to the incident's tracking issue.
        self._incident_issue = incident_issue

    async def current(self, place: Place) -> list[Todo]:
        return await self._store.load(await self._conversation(place))

    async def _conversation(self, place: Place) -> Place:
        """Whose list ``place`` shares: a thread's own, or its incident channel's."""
        incident = self._incident_issue
        if isinstance(place, SlackThread) and incident is not None and await incident(place) is not None:
            return SlackThread(place.channel)
        return place

    async def agent_list(self, place: Place, given: Sequence[Todo]) -> SavedList:
        """Save the agent's whole list (keeping people's newer ticks) and show it."""
        place = await self._conversation(place)
        async with self._mutexes.hold(f"todos:{thread_key(place)}"):
            before = await self._store.load(place)
            after = merge_agent_list(before, given)
            await self._store.save(place, after)
            not_opened = await self._publish(place, before, after)
        return SavedList(after, not_opened)

    async def post_incident(self, place: Place, review: str) -> int:
        """Add a resolved incident's follow-ups (its review's action items) to the incident's list,
        mirrored to its tracking issue as usual; how many were new. Run again, it adds nothing."""
        proposed = follow_ups(review)
        if not proposed:
            return 0
        place = await self._conversation(place)
        async with self._mutexes.hold(f"todos:{thread_key(place)}"):
            before = await self._store.load(place)
            known = {t.id for t in every_item(before)}
            room = MAX_TODOS - len(every_item(before))
            new = [t for t in proposed if t.id not in known][: max(room, 0)]
            if new:
                after = [*before, *new]
                await self._store.save(place, after)
                await self._publish(place, before, after)
        return len(new)

    async def checklist_edited(
        self, where: Place, person: Person, body: str, previous: str | None, at: float
    ) -> Outcome:
        """A person edited a tracking comment: the boxes they flipped change the todos.

        Only boxes that differ from ``previous`` (the body before the edit, when the
        forge says) count, so an edit made on an older render changes nothing else.
        """
        origin = await self._origin_of(where)
        flipped = ticks_in(body)
        if previous is not None:
            before_edit = ticks_in(previous)
            flipped = {key: ticked for key, ticked in flipped.items() if before_edit.get(key) != ticked}
        async with self._mutexes.hold(f"todos:{thread_key(origin)}"):
            todos = await self._store.load(origin)
            if not await self._may_change(where, person):
                log.info("todo change refused", extra={"person": person.handle, "place": thread_key(where)})
                await self._mirror.publish(where, todos, todos, announce=False, force=True)
                return "refused"
            if await self._stale(f"checklist:{thread_key(where)}", at):
                return "stale"
            return await self._apply(origin, todos, apply_ticks(todos, flipped, person.handle))

    async def issue_state_changed(
        self, forge: ForgeName, repo: str, number: int, description: str, person: Person, closed: bool, at: float
    ) -> Outcome:
        """A person closed (done) or reopened (not done) a todo's issue."""
        found = await self._tracked_todo(forge, repo, number, description)
        if found is None:
            return "unknown"
        origin, todo_id, key = found
        async with self._mutexes.hold(f"todos:{thread_key(origin)}"):
            todos = await self._store.load(origin)
            todo = next((t for t in todos if t.id == todo_id), None)
            if todo is None:
                return "unknown"
            if not await self._may_change(self._trackers[forge].place(repo, number), person):
                await self._marks.set(f"todo-issue-state:{key}", REMEMBER, "")  # forget, so it is put back
                await self._sync_issue(IssueHome(forge, repo), origin, todo)
                return "refused"
            if await self._stale(f"issue:{key}", at):
                return "stale"
            after = apply_ticks(todos, {todo_id: closed}, person.handle)
            changed = next(t for t in after if t.id == todo_id)
            # The issue already shows the person's change: don't write it again.
            await self._marks.set(f"todo-issue-state:{key}", REMEMBER, _issue_state(changed))
            return await self._apply(origin, todos, after)

    async def _apply(self, origin: Place, before: list[Todo], after: list[Todo]) -> Outcome:
        if after == before:
            return "unchanged"
        await self._store.save(origin, after)
        await self._publish(origin, before, after)
        return "changed"

    async def _publish(self, origin: Place, before: Sequence[Todo], after: Sequence[Todo]) -> int:
        """Show ``after`` everywhere it is mirrored; how many todos got no issue because of the bound."""
        incident = await self._incident_issue(origin) if self._incident_issue is not None else None
        home = self._issue_home(origin) if incident is None else None
        not_opened = 0
        if home is not None and self._config.todo_mirror == "issues":
            not_opened = await self._sync_issues(home, origin, after)
        note = (
            f"{not_opened} of these todos are kept here only, not opened as issues "
            f"(at most {self._config.max_todo_issues} per conversation)."
            if not_opened
            else ""
        )
        await self._mirror.publish(origin, before, after, note=note)
        await self._marks.set(f"todo-origin:{thread_key(origin)}", REMEMBER, json.dumps(public_place(origin)))
        if incident is not None:
            await self._marks.set(f"todo-origin:{thread_key(incident)}", REMEMBER, json.dumps(public_place(origin)))
            await self._mirror.publish(incident, before, after, announce=False)
        elif home is not None and self._config.todo_mirror != "issues" and isinstance(origin, SlackThread):
            where = await self._thread_issue(home, origin)
            await self._marks.set(f"todo-origin:{thread_key(where)}", REMEMBER, json.dumps(public_place(origin)))
            await self._mirror.publish(where, before, after, announce=False)
        return not_opened

    async def _sync_issues(self, home: IssueHome, origin: Place, todos: Sequence[Todo]) -> int:
        """One issue per todo, opening new ones only while the conversation is under ``agent.max_todo_issues``.

        The count is of issues opened for the conversation, not of todos in today's list,
        so an agent that keeps replacing its list cannot open issue after issue."""
        counted = f"todo-issues-opened:{home.forge}:{home.repo}:{thread_key(origin)}"
        opened = int(await self._marks.get(counted) or 0)
        not_opened = 0
        for todo in todos:
            mirrored = await self._sync_issue(home, origin, todo, may_open=opened < self._config.max_todo_issues)
            if mirrored == "opened":
                opened += 1
                await self._marks.set(counted, REMEMBER, str(opened))
            not_opened += mirrored == "withheld"
        return not_opened

    def _issue_home(self, origin: Place) -> IssueHome | None:
        if (here := repository(origin)) is not None:
            return IssueHome(here.forge, here.name) if here.forge in self._trackers else None
        if isinstance(origin, SlackThread) and (found := forge_repo(self._config.todo_repo, self._trackers)):
            return IssueHome(*found)
        return None

    async def _thread_issue(self, home: IssueHome, origin: SlackThread) -> Place:
        """The issue in ``todos.repo`` that carries a Slack conversation's checklist."""
        tracker, key = self._trackers[home.forge], f"{home.forge}:{home.repo}:{thread_key(origin)}"
        number = await self._marks.get(f"todo-thread-issue:{key}")
        if number is None:
            marker = todo_thread(thread_key(origin))
            found = await tracker.find(home.repo, TODO_LABEL, marker)
            if found is None:
                body = f"{marker}\nThe Ops agent's [Ops] todos for {where_from(origin)}, kept up to date below."
                found = await tracker.open(home.repo, "[Ops] todos from Slack", body, [TODO_LABEL])
            number = str(found.number)
            await self._marks.set(f"todo-thread-issue:{key}", REMEMBER, number)
        return tracker.place(home.repo, int(number))

    async def _sync_issue(self, home: IssueHome, origin: Place, todo: Todo, *, may_open: bool = True) -> Mirrored:
        """Make the todo's issue say what the todo says: title, open or closed, blocked label.
        With ``may_open`` false, a todo that has no issue yet gets none."""
        tracker = self._trackers[home.forge]
        key = f"{home.forge}:{home.repo}:{thread_key(origin)}:{todo.id}"
        state = _issue_state(todo)
        number = await self._marks.get(f"todo-issue:{key}")
        mirrored: Mirrored = "has an issue"
        if number is None:
            # A todo already found to have no issue is not looked for again on every update while the bound holds.
            if not may_open and await self._marks.get(f"todo-issue-withheld:{key}"):
                return "withheld"
            marker = todo_issue(thread_key(origin), todo.id)
            found = await tracker.find(home.repo, TODO_LABEL, marker)
            if found is None and not may_open:
                await self._marks.set(f"todo-issue-withheld:{key}", REMEMBER)
                return "withheld"
            if found is None:
                mirrored = "opened"
                body = (
                    f"{marker}\nAn [Ops] todo of the Ops agent, from {where_from(origin)}.\n\n"
                    "Close this issue when it is done; opsbot keeps the list in step."
                )
                labels = [TODO_LABEL, BLOCKED_LABEL] if todo.status == "blocked" else [TODO_LABEL]
                found = await tracker.open(home.repo, todo.content[:TITLE_LIMIT], body, labels)
                await self._marks.set(f"todo-issue-state:{key}", REMEMBER, _issue_state(todo, opened=True))
            number = str(found.number)
            await self._marks.set(f"todo-issue:{key}", REMEMBER, number)
        if await self._marks.get(f"todo-issue-state:{key}") != state:
            blocked = todo.status == "blocked"
            await tracker.edit(
                home.repo,
                int(number),
                title=todo.content[:TITLE_LIMIT],
                add_labels=[TODO_LABEL, BLOCKED_LABEL] if blocked else [TODO_LABEL],
                remove_labels=() if blocked else [BLOCKED_LABEL],
                open=todo.status != "completed",
            )
            await self._marks.set(f"todo-issue-state:{key}", REMEMBER, state)
        if todo.status == "blocked":
            await self._reporter.announce(
                tracker.place(home.repo, int(number)),
                f"todo-blocked:{key}:{digest(todo.blocked_reason or '')}",
                f"⛔ Blocked: {todo.blocked_reason}",
            )
        return mirrored

    async def _tracked_todo(
        self, forge: ForgeName, repo: str, number: int, description: str
    ) -> tuple[Place, str, str] | None:
        """The conversation and todo an issue mirrors, if opsbot opened it for one."""
        for origin_key, todo_id in todo_issues_in(description):
            origin = await self._place_of(origin_key)
            key = f"{forge}:{repo}:{origin_key}:{todo_id}"
            # Anyone can write a marker into an issue: only the issue opsbot opened counts.
            if origin is not None and await self._marks.get(f"todo-issue:{key}") == str(number):
                return origin, todo_id, key
        return None

    async def _origin_of(self, where: Place) -> Place:
        return await self._place_of(thread_key(where)) or where

    async def _place_of(self, key: str) -> Place | None:
        raw = await self._marks.get(f"todo-origin:{key}")
        return place_from_json(json.loads(raw)) if raw else None

    async def _may_change(self, where: Place, person: Person) -> bool:
        here = repository(where)
        return here is not None and bool(await push_access(self._forges, here.forge, here.name, person))

    async def _stale(self, name: str, at: float) -> bool:
        """True when a newer change of the same comment or issue was applied already
        (webhooks can arrive out of order); otherwise ``at`` becomes the newest."""
        seen = await self._marks.get(f"todo-changed-at:{name}")
        if seen is not None and float(seen) > at:
            return True
        await self._marks.set(f"todo-changed-at:{name}", REMEMBER, repr(at))
        return False


def _issue_state(todo: Todo, *, opened: bool = False) -> str:
    is_open = True if opened else todo.status != "completed"
    return f"{is_open}:{todo.status == 'blocked'}:{todo.content[:TITLE_LIMIT]}"
