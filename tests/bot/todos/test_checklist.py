"""The tracking checklist on fakes: one message per thread, edited in place and only when it changed;
a short new message when a todo becomes blocked and when everything is done."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.fakes import FakeMarks, Posted, RecordingChat
from bot.model import GitHubThread, Place, SlackThread, thread_key
from bot.todos.checklist import TodoMirror, tracking_body
from bot.todos.lists import Todo
from tests.bot.places import places

NOW = 1_800_000_000.0
PULL = GitHubThread("acme/api", 7, True)
OPS = SlackThread("C_OPS", "1800000000.000100")
CHECK, ROLL_BACK = Todo("[Ops] check the dashboards", "pending"), Todo("[Ops] roll back web", "in_progress")


def todo_lists(min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[list[Todo]]:
    words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
    todo = st.builds(
        lambda text, status, reason: Todo(
            f"[Ops] {text}", status, reason if status == "blocked" else None
        ),
        st.lists(words, min_size=1, max_size=4).map(" ".join),
        st.sampled_from(["pending", "in_progress", "completed", "blocked"]),
        words,
    )  # fmt: skip
    return st.lists(todo, min_size=min_size, max_size=max_size, unique_by=lambda t: t.id)


@dataclass
class Thread:
    mirror: TodoMirror
    chat: RecordingChat
    marks: FakeMarks

    def at(self, place: Place) -> list[Posted]:
        return [m for m in self.chat.messages.values() if m.place == place]

    def tracking(self, place: Place) -> list[Posted]:
        return [m for m in self.at(place) if m.reply_key == f"todos:{thread_key(place)}"]

    def announced(self, place: Place) -> list[str]:
        return [m.text for m in self.at(place) if m not in self.tracking(place)]


def thread(chat: RecordingChat | None = None, marks: FakeMarks | None = None) -> Thread:
    chat = chat or RecordingChat()
    marks = marks or FakeMarks(lambda: NOW)
    chats = {"slack": chat, "github": chat, "gitlab": chat, "console": chat}
    reporter = Reporter(chats, Replies(marks), marks, lambda: NOW)  # type: ignore[arg-type]
    return Thread(TodoMirror(reporter, marks), chat, marks)


@settings(max_examples=20, deadline=None)
@given(places, todo_lists(min_size=1))
async def test_the_list_is_one_message_in_the_thread_showing_every_todo(place: Place, todos: list[Todo]) -> None:
    t = thread()
    await t.mirror.publish(place, [], todos, announce=False)
    [tracking] = t.tracking(place)
    assert tracking.reply_key == f"todos:{thread_key(place)}"
    assert tracking.text == tracking_body(todos)
    assert all(todo.line() in tracking.text for todo in todos)
    done = sum(todo.status == "completed" for todo in todos)
    assert f"{done} of {len(todos)} done" in tracking.text


@settings(max_examples=15, deadline=None)
@given(places, st.lists(todo_lists(max_size=4), min_size=2, max_size=4))
async def test_each_change_edits_the_one_message_and_an_unchanged_list_is_not_rewritten(
    place: Place, versions: list[list[Todo]]
) -> None:
    t = thread()
    before: list[Todo] = []
    shown: list[str] = []
    for todos in versions:
        await t.mirror.publish(place, before, todos, announce=False)
        await t.mirror.publish(place, todos, todos, announce=False)  # the same list again
        body = tracking_body(todos)
        if not shown or shown[-1] != body:
            shown.append(body)
        before = todos
    [tracking] = t.tracking(place)
    assert tracking.text == shown[-1]
    assert tracking.edits == shown[1:], "one edit per change, none for a list that stayed the same"


async def test_a_forced_publish_rewrites_a_list_that_did_not_change() -> None:
    # A person edited opsbot's checklist in a way that was not theirs to make: it is put back.
    t = thread()
    await t.mirror.publish(PULL, [], [CHECK], announce=False)
    await t.mirror.publish(PULL, [CHECK], [CHECK], announce=False, force=True)
    [tracking] = t.tracking(PULL)
    assert tracking.edits == [tracking_body([CHECK])]


async def test_a_worker_that_lost_the_marks_edits_the_message_already_there() -> None:
    chat = RecordingChat()
    await thread(chat).mirror.publish(PULL, [], [CHECK], announce=False)
    later = thread(chat)  # a fresh store of marks: the platform still has the message
    await later.mirror.publish(PULL, [CHECK], [CHECK, ROLL_BACK], announce=False)
    [tracking] = later.tracking(PULL)
    assert tracking.text == tracking_body([CHECK, ROLL_BACK])


async def test_a_checklist_posted_under_the_threads_former_name_is_edited_not_posted_again() -> None:
    # Before thread keys fixed GitHub's pull-request flag, the checklist's reply key said "True".
    chat = RecordingChat()
    former = "todos:acme/api:7:True:github"
    old = await chat.post(PULL, tracking_body([CHECK]), reply_key=former)
    t = thread(chat)
    await t.mirror.publish(PULL, [CHECK], [CHECK, ROLL_BACK], announce=False)
    assert list(chat.messages) == [old]
    assert chat.messages[old].text == tracking_body([CHECK, ROLL_BACK])


async def test_two_threads_have_a_checklist_each() -> None:
    t = thread()
    await t.mirror.publish(PULL, [], [CHECK], announce=False)
    await t.mirror.publish(OPS, [], [ROLL_BACK], announce=False)
    assert [m.text for m in t.tracking(PULL)] == [tracking_body([CHECK])]
    assert [m.text for m in t.tracking(OPS)] == [tracking_body([ROLL_BACK])]


async def test_a_todo_that_becomes_blocked_is_told_once() -> None:
    t = thread()
    blocked = replace(ROLL_BACK, status="blocked", blocked_reason="waiting for the DBA")
    await t.mirror.publish(OPS, [], [CHECK, ROLL_BACK])
    await t.mirror.publish(OPS, [CHECK, ROLL_BACK], [CHECK, blocked])
    await t.mirror.publish(OPS, [CHECK, ROLL_BACK], [CHECK, blocked])  # the same update's job, run again
    await t.mirror.publish(OPS, [CHECK, blocked], [CHECK, blocked])  # still blocked: nothing new
    assert t.announced(OPS) == ["⛔ Blocked: [Ops] roll back web: waiting for the DBA"]


async def test_everything_done_is_told_once() -> None:
    t = thread()
    done = [replace(CHECK, status="completed"), replace(ROLL_BACK, status="completed")]
    await t.mirror.publish(PULL, [], [CHECK, ROLL_BACK])
    assert t.announced(PULL) == []
    await t.mirror.publish(PULL, [CHECK, ROLL_BACK], done)
    await t.mirror.publish(PULL, [CHECK, ROLL_BACK], done)
    await t.mirror.publish(PULL, done, done)
    assert t.announced(PULL) == ["✅ All [Ops] todos here are done."]


async def test_announce_false_posts_only_the_checklist() -> None:
    t = thread()
    await t.mirror.publish(PULL, [], [replace(CHECK, status="blocked", blocked_reason="no access")], announce=False)
    assert t.announced(PULL) == []


@settings(max_examples=30, deadline=None)
@given(todo_lists(min_size=1, max_size=12), st.integers(150, 800))
def test_a_list_too_long_for_a_comment_drops_completed_todos_first_and_says_so(todos: list[Todo], limit: int) -> None:
    body = tracking_body(todos, limit)
    done = sum(t.status == "completed" for t in todos)
    assert f"{done} of {len(todos)} done" in body
    shown = [t for t in todos if t.line() in body.splitlines()]
    dropped = len(todos) - len(shown)
    if dropped:
        assert f"_{dropped} more not shown" in body
        assert len(body) <= limit or not shown
        open_ = [t for t in todos if t.status != "completed"]
        hidden_open = [t for t in open_ if t not in shown]
        assert not hidden_open or all(t.status != "completed" for t in shown), "an open todo went before a done one"
        assert hidden_open == open_[: len(hidden_open)], "the oldest open todos go first"
    else:
        assert body == tracking_body(todos)
