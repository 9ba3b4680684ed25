"""SeenEvents: the fake and Redis read the door's dedupe records alike."""

from __future__ import annotations

import pytest

from bot.incidents.reminder_due import ReminderDue
from bot.jobs.fakes import FakeJobQueue
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue
from bot.redelivery.fakes import FakeSeenEvents
from bot.redelivery.ports import SeenEvents
from bot.stores.queue import RedisJobQueue
from bot.stores.seen import RedisSeenEvents
from tests.contracts.conftest import Backend


@pytest.fixture
def door(backend: Backend) -> tuple[JobQueue, SeenEvents]:
    """The queue the door accepts events on, and the records a recovery pass reads back."""
    if backend.server is None:
        queue = FakeJobQueue(backend.clock)
        return queue, FakeSeenEvents(queue)
    return RedisJobQueue(backend.client), RedisSeenEvents(backend.client)


def job() -> Job:
    return Job.of(ReminderDue("inc-1", 1.0))


async def test_the_events_the_door_accepted_are_seen_and_no_others(door: tuple[JobQueue, SeenEvents]) -> None:
    queue, seen = door
    assert await queue.enqueue(job(), dedupe_key="github:guid-1")
    assert not await queue.enqueue(job(), dedupe_key="github:guid-1")  # a redelivery, dropped
    assert await queue.enqueue(job(), dedupe_key="gitlab:note:7")
    assert await queue.enqueue(job())  # a job with no event behind it marks nothing
    asked = ["github:guid-1", "github:guid-2", "gitlab:note:7", "github:gitlab:note:7", "-"]
    assert await seen.seen(asked) == {"github:guid-1", "gitlab:note:7"}
    assert await seen.seen([]) == set()


async def test_a_delayed_job_s_key_is_seen_as_soon_as_it_is_accepted(door: tuple[JobQueue, SeenEvents]) -> None:
    queue, seen = door
    assert await queue.enqueue(job(), dedupe_key="incident-reminder:inc-1:1", delay=3600)
    assert await seen.seen(["incident-reminder:inc-1:1"]) == {"incident-reminder:inc-1:1"}
