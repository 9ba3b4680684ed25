"""The todo board on fakes: the agent's list, people's ticks and closed issues, who may change what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.fakes import FakeForge
from bot.fakes import FakeIssueTracker, FakeMarks, FakeMutexes, Posted, RecordingChat
from bot.model import GitHubThread, Person, Place, SlackThread, thread_key
from bot.todos.board import TodoBoard
from bot.todos.checklist import TodoMirror
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo

API = "acme/api"
PULL = GitHubThread(API, 7, True)
OCTOCAT, STRANGER = Person("github", "octocat"), Person("github", "stranger")
CHECK, ROLL_BACK = Todo("[Ops] check the dashboards", "pending"), Todo("[Ops] roll back web", "in_progress")


@dataclass
class Board:
    board: TodoBoard
    store: FakeTodoStore
    chat: RecordingChat
    tracker: FakeIssueTracker

    def at(self, place: Place) -> list[Posted]:
        return [m for m in self.chat.messages.values() if m.place == place]

    def tracking(self, place: Place) -> Posted:
        [comment] = [m for m in self.at(place) if m.reply_key == f"todos:{thread_key(place)}"]
        return comment


def new_board(mirror: Literal["checklist", "issues"] = "checklist") -> Board:
    store, chat, tracker, marks, forge = FakeTodoStore(), RecordingChat(), FakeIssueTracker(), FakeMarks(), FakeForge()
    forge.add_repo(API, writers=(OCTOCAT,))
    forge.add_repo("acme/ops", writers=(OCTOCAT,))
    reporter = Reporter({"slack": chat, "github": chat}, Replies(marks), marks)
    board = TodoBoard(
        store, TodoMirror(reporter, marks), reporter, {"github": tracker}, {"github": forge}, marks, FakeMutexes(),
        OpsConfig(todo_mirror=mirror, todo_repo="acme/ops"),
    )  # fmt: skip
    return Board(board, store, chat, tracker)


@pytest.fixture
def board() -> Board:
    return new_board()


def ticked(body: str, todo: Todo) -> str:
    line = todo.line()
    assert line in body
    return body.replace(line, line.replace("- [ ]", "- [x]", 1))


async def test_the_agents_list_is_saved_and_shown_once_per_change(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK, ROLL_BACK])
    assert await board.store.load(PULL) == [CHECK, ROLL_BACK]
    comment = board.tracking(PULL)
    assert "**[Ops] todos**: 0 of 2 done" in comment.text
    assert CHECK.line() in comment.text
    await board.board.agent_list(PULL, [CHECK, ROLL_BACK])
    assert comment.edits == []  # the same list is not written again
    await board.board.agent_list(PULL, [CHECK, Todo("[Ops] roll back web", "blocked", "needs approval")])
    assert len(comment.edits) == 1
    assert [m.text for m in board.at(PULL)][-1] == "⛔ Blocked: [Ops] roll back web: needs approval"


async def test_a_person_who_may_push_ticks_a_todo_off(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK, ROLL_BACK])
    before = board.tracking(PULL).text
    outcome = await board.board.checklist_edited(PULL, OCTOCAT, ticked(before, CHECK), before, at=10.0)
    assert outcome == "changed"
    check, _ = await board.store.load(PULL)
    assert (check.status, check.changed_by, check.agent_said) == ("completed", "github:octocat", "pending")
    assert "(done by github:octocat)" in board.tracking(PULL).text


async def test_a_person_who_may_not_push_has_their_tick_put_back(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK])
    before = board.tracking(PULL).text
    outcome = await board.board.checklist_edited(PULL, STRANGER, ticked(before, CHECK), before, at=10.0)
    assert outcome == "refused"
    assert await board.store.load(PULL) == [CHECK]
    comment = board.tracking(PULL)
    assert comment.edits == [before]  # rewritten as it was, over the stranger's edit


async def test_an_older_edit_arriving_late_changes_nothing(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK, ROLL_BACK])
    before = board.tracking(PULL).text
    assert await board.board.checklist_edited(PULL, OCTOCAT, ticked(before, ROLL_BACK), before, at=20.0) == "changed"
    assert await board.board.checklist_edited(PULL, OCTOCAT, ticked(before, CHECK), before, at=10.0) == "stale"
    assert [t.status for t in await board.store.load(PULL)] == ["pending", "completed"]


async def test_only_the_boxes_flipped_in_this_edit_count(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK, ROLL_BACK])
    older = board.tracking(PULL).text
    await board.board.checklist_edited(PULL, OCTOCAT, ticked(older, ROLL_BACK), older, at=10.0)
    # Someone else ticks CHECK on the render they had open, where ROLL_BACK was still unticked:
    # the forge says what the comment was before their edit, and only CHECK differs from it.
    assert await board.board.checklist_edited(PULL, OCTOCAT, ticked(older, CHECK), older, at=11.0) == "changed"
    assert [t.status for t in await board.store.load(PULL)] == ["completed", "completed"]
    now = board.tracking(PULL).text
    assert await board.board.checklist_edited(PULL, OCTOCAT, now, now, at=12.0) == "unchanged"


async def test_a_stale_list_from_the_agent_does_not_undo_a_persons_tick(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK])
    before = board.tracking(PULL).text
    await board.board.checklist_edited(PULL, OCTOCAT, ticked(before, CHECK), before, at=10.0)
    [kept] = (await board.board.agent_list(PULL, [CHECK])).todos  # the agent hasn't caught up
    assert (kept.status, kept.changed_by) == ("completed", "github:octocat")
    [news] = (await board.board.agent_list(PULL, [Todo(CHECK.content, "in_progress")])).todos  # now it has news
    assert (news.status, news.changed_by) == ("in_progress", None)


async def test_when_everything_is_done_it_is_said_once(board: Board) -> None:
    await board.board.agent_list(PULL, [Todo(CHECK.content, "completed")])
    await board.board.agent_list(PULL, [Todo(CHECK.content, "completed")])
    assert [m.text for m in board.at(PULL)].count("✅ All [Ops] todos here are done.") == 1


async def test_a_slack_threads_checklist_is_mirrored_to_one_issue(board: Board) -> None:
    thread = SlackThread("C_OPS", "1.0")
    await board.board.agent_list(thread, [CHECK])
    await board.board.agent_list(thread, [CHECK, ROLL_BACK])
    [issue] = board.tracker.issues.values()
    assert (issue.title, issue.labels) == ("[Ops] todos from Slack", ["ops-todo"])
    mirrored = board.tracking(GitHubThread("acme/ops", 1, False))
    assert ROLL_BACK.line() in mirrored.text
    # A tick on the issue's checklist changes the Slack thread's list.
    before = mirrored.text
    where = GitHubThread("acme/ops", 1, False)
    assert await board.board.checklist_edited(where, OCTOCAT, ticked(before, CHECK), before, at=5.0) == "changed"
    assert [t.status for t in await board.store.load(thread)] == ["completed", "in_progress"]
    assert "(done by github:octocat)" in board.tracking(thread).text


async def test_in_issues_mode_each_todo_is_an_issue_and_closing_one_ticks_it() -> None:
    board = new_board("issues")
    await board.board.agent_list(PULL, [CHECK, Todo("[Ops] roll back web", "blocked", "needs approval")])
    first, second = board.tracker.issues[(API, 1)], board.tracker.issues[(API, 2)]
    assert (first.title, first.labels, first.open) == (CHECK.content, ["ops-todo"], True)
    assert second.labels == ["ops-todo", "blocked"]
    closed = await board.board.issue_state_changed("github", API, 1, first.body, OCTOCAT, True, at=5.0)
    assert closed == "changed"
    check, _ = await board.store.load(PULL)
    assert (check.status, check.changed_by) == ("completed", "github:octocat")
    assert await board.board.issue_state_changed("github", API, 1, first.body, OCTOCAT, True, at=4.0) == "stale"


async def test_a_copied_marker_or_a_stranger_changes_no_todo() -> None:
    board = new_board("issues")
    await board.board.agent_list(PULL, [CHECK])
    body = board.tracker.issues[(API, 1)].body
    # Someone pasted opsbot's marker into an issue opsbot didn't open.
    assert await board.board.issue_state_changed("github", API, 99, body, OCTOCAT, True, at=5.0) == "unknown"
    refused = await board.board.issue_state_changed("github", API, 1, body, STRANGER, True, at=6.0)
    assert refused == "refused"
    assert await board.store.load(PULL) == [CHECK]
    assert board.tracker.issues[(API, 1)].open is True  # put back as the list says


async def test_an_incidents_follow_ups_join_its_list_once(board: Board) -> None:
    await board.board.agent_list(PULL, [CHECK])
    review = "## Action items\n- [Ops] Alert on pool usage\n- [Ops] check the dashboards"
    assert await board.board.post_incident(PULL, review) == 2
    assert await board.board.post_incident(PULL, review) == 0  # a resolve run again adds nothing
    assert [t.content for t in await board.store.load(PULL)] == [
        CHECK.content,
        "[Ops] POST-INCIDENT: Alert on pool usage",
        "[Ops] POST-INCIDENT: check the dashboards",
    ]
    assert "- [ ] [Ops] POST-INCIDENT: Alert on pool usage" in board.tracking(PULL).text
    assert await board.board.post_incident(PULL, "no action items here") == 0


async def test_issues_mode_opens_at_most_the_configured_number_of_issues() -> None:
    store, chat, tracker, marks, forge = FakeTodoStore(), RecordingChat(), FakeIssueTracker(), FakeMarks(), FakeForge()
    reporter = Reporter({"github": chat}, Replies(marks), marks)
    board = TodoBoard(
        store, TodoMirror(reporter, marks), reporter, {"github": tracker}, {"github": forge}, marks, FakeMutexes(),
        OpsConfig(todo_mirror="issues", max_todo_issues=1),
    )  # fmt: skip
    saved = await board.agent_list(PULL, [CHECK, ROLL_BACK])
    assert (saved.todos, saved.not_opened) == ([CHECK, ROLL_BACK], 1)
    again = await board.agent_list(PULL, [CHECK, ROLL_BACK, Todo("[Ops] tell the team", "pending")])
    assert again.not_opened == 2
    assert [issue.title for issue in tracker.issues.values()] == [CHECK.content]
