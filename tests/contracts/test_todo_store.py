"""TodoStore: the fake and the Redis store agree."""

from __future__ import annotations

import pytest

from bot.model import GitHubThread, SlackThread
from bot.stores.todos import RedisTodoStore
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo
from bot.todos.ports import TodoStore
from tests.contracts.conftest import Backend


@pytest.fixture
def todos(backend: Backend) -> TodoStore:
    return FakeTodoStore(backend.clock) if backend.server is None else RedisTodoStore(backend.client)


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
