"""Marks, Mutexes and JobStats: the fakes and the Redis implementations agree."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import Busy
from bot.fakes import FakeMarks, FakeMutexes
from bot.jobs.fakes import FakeJobStats
from bot.ports import Marks, Mutexes
from bot.stores.marks import RedisMarks
from bot.stores.mutex import RedisMutexes
from bot.stores.stats import RedisJobStats
from tests.contracts.conftest import Backend


@pytest.fixture
def marks(backend: Backend) -> Marks:
    return FakeMarks(backend.clock) if backend.server is None else RedisMarks(backend.client)


def mutexes(backend: Backend, *, hold_for: float = 30.0, wait_for: float = 0.2) -> Mutexes:
    if backend.server is None:
        return FakeMutexes(hold_for=hold_for, wait_for=wait_for, clock=backend.clock)
    return RedisMutexes(backend.client, hold_for=hold_for, wait_for=wait_for)


async def test_a_mark_holds_its_value_until_its_ttl_runs_out(marks: Marks, backend: Backend) -> None:
    assert await marks.get("reply:m-1") is None
    await marks.set("reply:m-1", 1)
    await marks.set("reply:m-2", 60, "msg-7")
    assert await marks.get("reply:m-1") == "1"
    assert await marks.get("reply:m-2") == "msg-7"
    await backend.later(1.2)
    assert await marks.get("reply:m-1") is None
    assert await marks.get("reply:m-2") == "msg-7"


async def test_a_mutex_has_one_holder_and_is_free_again_after(backend: Backend) -> None:
    held = mutexes(backend)
    async with held.hold("thread-1"):
        with pytest.raises(Busy):
            async with held.hold("thread-1"):
                pass
        async with held.hold("thread-2"):  # another name is another mutex
            pass
    async with held.hold("thread-1"):
        pass


async def test_a_waiting_holder_gets_the_mutex_when_it_is_let_go(backend: Backend) -> None:
    held = mutexes(backend, wait_for=2.0)
    order: list[str] = []

    async def second() -> None:
        async with held.hold("thread-1"):
            order.append("second")

    async with held.hold("thread-1"):
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.1)
        order.append("first")
    await waiting
    assert order == ["first", "second"]


async def test_a_holder_that_never_lets_go_loses_the_mutex(backend: Backend) -> None:
    held = mutexes(backend, hold_for=0.3)
    async with held.hold("thread-1"):
        await backend.later(0.4)
        async with held.hold("thread-1"):  # the first holder is presumed dead
            pass


async def test_job_outcomes_are_counted_and_timed(backend: Backend) -> None:
    stats = FakeJobStats() if backend.server is None else RedisJobStats(backend.client)
    await stats.record("chat.message", "ok", 0.25)
    await stats.record("chat.message", "ok", 0.5)
    await stats.record("chat.message", "failed", 1.0)
    snapshot = await stats.snapshot()
    assert snapshot["count|chat.message|ok"] == 2
    assert snapshot["count|chat.message|failed"] == 1
    assert snapshot["sum|chat.message"] == pytest.approx(1.75)
