"""A recovery pass on the fakes: what it asks GitHub for, and that nothing is asked for twice."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.errors import UpstreamUnavailable
from bot.fakes import FakeMarks, FakeMutexes, ManualClock
from bot.jobs.fakes import FakeJobQueue
from bot.jobs.kinds import Job
from bot.model import ChatMessage, ConsoleThread, Person
from bot.redelivery.fakes import FakeHookDeliveries, FakeSeenEvents
from bot.redelivery.model import NO_ANSWER, RecoveryDue, github_event_key
from bot.redelivery.recovery import LATEST_RUN, WebhookRecovery

WINDOW = 3 * 3600.0


class Setting:
    def __init__(self, *, limit: int = 100) -> None:
        self.clock = ManualClock()
        self.hook = FakeHookDeliveries(self.clock)
        self.queue = FakeJobQueue(self.clock)
        self.marks = FakeMarks(self.clock)
        self.recovery = WebhookRecovery(
            self.hook,
            FakeSeenEvents(self.queue),
            self.marks,
            FakeMutexes(clock=self.clock),
            self.clock,
            window=WINDOW,
            limit=limit,
        )

    def due(self) -> RecoveryDue:
        """A pass asked for a moment from now; the clock moves on a little, as it does before a worker runs it."""
        self.clock.now += 1
        due = RecoveryDue(self.clock(), "test")
        self.clock.now += 5
        return due

    async def accepted(self, guid: str) -> None:
        """The door queued this delivery (its reply may have been lost on the way back)."""
        message = ChatMessage(guid, Person("console", "U1"), ConsoleThread("C1"), "help", "mention")
        await self.queue.enqueue(Job.of(message), dedupe_key=github_event_key(guid))

    def asked_guids(self) -> list[str]:
        by_id = {d.id: d.guid for d in self.hook.deliveries}
        return [by_id[i] for i in self.hook.asked]


async def test_each_refused_event_is_asked_for_once_newest_first_and_a_second_pass_asks_for_nothing() -> None:
    s = Setting()
    s.hook.delivered("taken-1", 202, at=s.clock() - 300)
    s.hook.delivered("refused-1", 503, at=s.clock() - 200)
    s.hook.delivered("refused-2", NO_ANSWER, at=s.clock() - 100)
    s.hook.delivered("taken-2", 202, at=s.clock() - 50)

    first = await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused-2", "refused-1"]
    assert (first.listed, first.refused, first.asked) == (4, 2, ("refused-2", "refused-1"))

    second = await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused-2", "refused-1"], "asked again"
    assert (second.skipped, second.listed, second.refused, second.asked) == (False, 6, 0, ())


async def test_a_redelivery_github_has_not_logged_yet_is_not_asked_for_again() -> None:
    s = Setting()
    s.hook.delivered("refused", 503, at=s.clock() - 60)
    await s.recovery.recover(s.due())
    del s.hook.deliveries[-1]  # the redelivery isn't in the log yet, or opsbot refused it again
    later = await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused"]
    assert (later.refused, later.already_asked, later.asked) == (1, 1, ())


async def test_a_pass_asked_for_before_the_last_pass_began_is_already_done() -> None:
    s = Setting()
    early = s.due()
    s.hook.delivered("refused", 503, at=s.clock() - 1)
    await s.recovery.recover(s.due())
    s.hook.delivered("refused-later", 503)  # after that pass: its own request will come
    covered = await s.recovery.recover(early)
    assert covered.skipped
    assert s.asked_guids() == ["refused"]
    await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused", "refused-later"]


async def test_what_the_door_accepted_after_all_and_what_is_out_of_the_window_are_left_alone() -> None:
    s = Setting()
    s.hook.delivered("reply-lost", 503, at=s.clock() - 60)
    await s.accepted("reply-lost")
    s.hook.delivered("too-old", 503, at=s.clock() - WINDOW - 1)
    s.hook.delivered("refused", 502, at=s.clock() - 30)
    outcome = await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused"]
    assert (outcome.listed, outcome.refused, outcome.handled) == (2, 2, 1)


async def test_a_redelivery_github_refuses_is_logged_with_an_error_id_and_the_rest_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = Setting()
    gone = s.hook.delivered("gone", 503, at=s.clock() - 10)
    s.hook.delivered("refused", 503, at=s.clock() - 20)
    s.hook.refuse.add(gone)
    with caplog.at_level(logging.WARNING, logger="bot.redelivery.recovery"):
        outcome = await s.recovery.recover(s.due())
    assert (outcome.asked, outcome.not_redelivered) == (("refused",), ("gone",))
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "redeliver it by hand" in warning.getMessage()
    assert vars(warning)["delivery"] == "gone"
    assert str(vars(warning)["error_id"]).startswith("E-")
    again = await s.recovery.recover(s.due())
    assert (again.already_asked, again.not_redelivered) == (1, ())


class Flaky(FakeHookDeliveries):
    """GitHub stops answering after ``answers`` redeliveries."""

    answers = 1

    async def redeliver(self, delivery_id: int) -> None:
        if len(self.asked) >= self.answers:
            raise UpstreamUnavailable("GitHub", "server error 502", status=502)
        await super().redeliver(delivery_id)


async def test_when_github_stops_answering_the_retry_asks_only_for_what_is_left() -> None:
    s = Setting()
    s.hook = Flaky(s.clock)
    s.recovery = WebhookRecovery(
        s.hook, FakeSeenEvents(s.queue), s.marks, FakeMutexes(clock=s.clock), s.clock, window=WINDOW
    )
    for n in range(3):
        s.hook.delivered(f"refused-{n}", 503, at=s.clock() - 10 + n)
    with pytest.raises(UpstreamUnavailable):
        await s.recovery.recover(s.due())
    assert s.asked_guids() == ["refused-2"]
    Flaky.answers = 10
    try:
        retried = await s.recovery.recover(s.due())
    finally:
        Flaky.answers = 1
    assert s.asked_guids() == ["refused-2", "refused-1", "refused-0"]
    assert retried.asked == ("refused-1", "refused-0")


async def test_past_the_cap_the_newest_go_first_and_the_rest_next_time() -> None:
    s = Setting(limit=2)
    for n in range(5):
        s.hook.delivered(f"refused-{n}", 503, at=s.clock() - 100 + n)
    first = await s.recovery.recover(s.due())
    assert (first.asked, first.left_for_later) == (("refused-4", "refused-3"), 3)
    await s.recovery.recover(s.due())
    await s.recovery.recover(s.due())
    assert s.asked_guids() == [f"refused-{n}" for n in (4, 3, 2, 1, 0)]


async def test_two_passes_at_once_ask_for_each_event_once() -> None:
    s = Setting()
    for n in range(4):
        s.hook.delivered(f"refused-{n}", 503, at=s.clock() - 10 + n)
    due = s.due()
    await asyncio.gather(s.recovery.recover(due), s.recovery.recover(RecoveryDue(due.requested_at + 1, "other")))
    assert sorted(s.asked_guids()) == [f"refused-{n}" for n in range(4)]


async def test_a_mark_of_the_latest_pass_that_does_not_read_means_a_pass_runs() -> None:
    s = Setting()
    s.hook.delivered("refused", 503, at=s.clock() - 10)
    await s.marks.set(LATEST_RUN, 60, "not a time")
    outcome = await s.recovery.recover(s.due())
    assert (outcome.skipped, outcome.asked) == (False, ("refused",))
