"""TodoStore: the fake and the Redis store agree."""

from __future__ import annotations

import pytest

from bot.model import GitHubThread, SlackThread
from bot.stores.todos import RedisTodoStore
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo
from bot.todos.ports import KEEP_FOR, OPEN_THREADS_KEPT, TodoStore
from tests.contracts.conftest import Backend


@pytest.fixture
def todos(backend: Backend) -> TodoStore:
    return FakeTodoStore(backend.clock) if backend.server is None else RedisTodoStore(backend.client, backend.clock)


LIST = [
    Todo("[Ops] check the dashboards", "completed"),
    Todo("[Ops] roll back web", "blocked", "waiting for approval"),
    Todo("[Ops] tell the team", "pending", changed_by="U_BOB", agent_said="completed"),
]


async def test_each_thread_has_its_own_list(todos: TodoStore) -> None:
    thread, other = SlackThread("C_OPS", "1.0"), GitHubThread("acme/api", 7, False)
    assert await todos.load(thread) == []
    await todos.save(thread, LIST)
    assert await todos.load(thread) == LIST
    assert await todos.load(other) == []
    # A slash command's reply address is not part of the thread.
    assert await todos.load(SlackThread("C_OPS", "1.0", response_url="https://hooks.slack/x")) == LIST


async def test_saving_replaces_the_whole_list(todos: TodoStore) -> None:
    thread = SlackThread("C_OPS", "1.0")
    await todos.save(thread, LIST)
    await todos.save(thread, LIST[1:])
    assert await todos.load(thread) == LIST[1:]
    await todos.save(thread, [])
    assert await todos.load(thread) == []


DONE = [Todo("[Ops] check the dashboards", "completed")]
NESTED_OPEN = [Todo("[Ops] migrate", "completed", children=(Todo("[Ops] move api", "pending"),))]


async def test_a_channel_lists_its_threads_with_open_todos_newest_change_first(
    backend: Backend, todos: TodoStore
) -> None:
    assert await todos.open_threads("C_OPS") == []
    await todos.save(SlackThread("C_OPS", "1.0"), LIST)
    await backend.later(0.01)
    await todos.save(SlackThread("C_OPS", "2.0"), NESTED_OPEN)  # an open sub-task is open work
    await todos.save(SlackThread("C_OPS", "3.0"), DONE)
    await todos.save(SlackThread("C_WEB", "4.0"), LIST)
    await todos.save(SlackThread("C_OPS"), LIST)  # a channel's own list (an incident's) is not a thread
    assert await todos.open_threads("C_OPS") == [SlackThread("C_OPS", "2.0"), SlackThread("C_OPS", "1.0")]

    await backend.later(0.01)
    await todos.save(SlackThread("C_OPS", "1.0", response_url="https://hooks.slack/x"), LIST[1:])  # changed again
    assert await todos.open_threads("C_OPS") == [SlackThread("C_OPS", "1.0"), SlackThread("C_OPS", "2.0")]
    await todos.save(SlackThread("C_OPS", "1.0"), DONE)  # all done: out of the index
    assert await todos.open_threads("C_OPS") == [SlackThread("C_OPS", "2.0")]
    assert await todos.open_threads("C_WEB") == [SlackThread("C_WEB", "4.0")]


async def test_the_channel_index_is_bounded_and_forgets_untouched_threads(backend: Backend, todos: TodoStore) -> None:
    for n in range(OPEN_THREADS_KEPT + 5):
        backend.clock.now += 1
        await todos.save(SlackThread("C_OPS", f"{1000 + n}.0"), LIST)
    listed = await todos.open_threads("C_OPS")
    assert len(listed) == OPEN_THREADS_KEPT
    assert listed[0] == SlackThread("C_OPS", f"{1000 + OPEN_THREADS_KEPT + 4}.0")
    assert SlackThread("C_OPS", "1004.0") not in listed  # the oldest went first
    backend.clock.now += KEEP_FOR + OPEN_THREADS_KEPT + 10
    assert await todos.open_threads("C_OPS") == []
