"""Incident reminders: when one is due, what snoozing does, and the values they're made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.fakes import FakeMarks
from bot.incidents.lifecycle import Incidents, IncidentServices
from bot.incidents.model import REMIND_EVERY, SLUG_LENGTH, Event, Incident, slug, timeline_text
from bot.incidents.reminders import DEFAULT_SNOOZE, MAX_SNOOZE
from bot.jobs.kinds import Job
from bot.model import Button, ChatMessage, Person, Place, SlackThread

NOW = 1_800_000_000.0
SEVERITIES = sorted(REMIND_EVERY)


class _Slack:
    """The Chat port as the list of texts posted."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    async def acknowledge(self, message: ChatMessage) -> None:
        pass

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        self.posted.append(text)
        return str(len(self.posted))

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        return None

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        pass


class _Store:
    """The parts of the IncidentStore port reminders and snoozing use."""

    def __init__(self, incident: Incident) -> None:
        self.incidents = {incident.id: incident}
        self.events: list[Event] = []

    async def save(self, incident: Incident) -> None:
        self.incidents[incident.id] = incident

    async def get(self, incident_id: str) -> Incident | None:
        return self.incidents.get(incident_id)

    async def by_channel(self, channel: str) -> Incident | None:
        return next((i for i in self.incidents.values() if i.channel == channel), None)

    async def open_ids(self) -> list[str]:
        return [i.id for i in self.incidents.values() if i.status == "open"]

    async def append(self, incident_id: str, event: Event) -> bool:
        self.events.append(event)
        return True


class _Queue:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        self.delays.append(delay)
        return True


def incident(severity: int = 2, **changes: object) -> Incident:
    base = Incident(
        id="inc-20270115-checkout-is-down",
        title="checkout is down",
        severity=severity,
        commander="U_ALICE",
        declared_by="U_ALICE",
        declared_at=NOW - 3600,
        declared_in={"platform": "slack", "channel": "C_OPS", "thread_ts": None},
        channel="C_INC",
        last_update_at=NOW - 3600,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def wired(found: Incident) -> tuple[Incidents, _Store, _Queue, _Slack]:
    store, queue, slack, marks = _Store(found), _Queue(), _Slack(), FakeMarks()
    reporter = Reporter({"slack": slack}, Replies(marks), marks, clock=lambda: NOW)
    services = IncidentServices(
        store=store,  # type: ignore[arg-type]
        rooms=None,
        reporter=reporter,
        trackers={},
        queue=queue,  # type: ignore[arg-type]
        config=OpsConfig(),
        clock=lambda: NOW,
    )
    return Incidents(services), store, queue, slack


def asked(text: str = "snooze") -> ChatMessage:
    return ChatMessage(
        id="slack:C_INC:1.1", author=Person("slack", "U_BOB"), place=SlackThread("C_INC"), text=text, via="slash"
    )


def test_worse_incidents_expect_updates_more_often() -> None:
    minutes = [REMIND_EVERY[s] for s in SEVERITIES]
    assert minutes == sorted(minutes)
    assert len(set(minutes)) == len(minutes)
    assert incident(1).remind_every() == REMIND_EVERY[1] * 60.0


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEVERITIES), st.data())
async def test_an_incident_updated_in_time_is_not_reminded_but_looked_at_again(
    severity: int, data: st.DataObject
) -> None:
    every = REMIND_EVERY[severity] * 60.0
    fresh = incident(severity, last_update_at=NOW - data.draw(st.integers(0, int(every) - 1)))
    incidents, _, queue, slack = wired(fresh)
    await incidents.remind(fresh.id, NOW)
    assert slack.posted == []
    assert queue.delays == [pytest.approx(fresh.last_update_at + every - NOW)]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEVERITIES), st.integers(0, 24 * 3600))
async def test_an_overdue_incident_is_reminded_once_and_again_a_period_later(severity: int, late: int) -> None:
    every = REMIND_EVERY[severity] * 60.0
    stale = incident(severity, last_update_at=NOW - every - late)
    incidents, _, queue, slack = wired(stale)
    await incidents.remind(stale.id, NOW)
    await incidents.remind(stale.id, NOW)  # the same reminder job, run twice
    [reminder] = slack.posted
    assert f"No status update for {int((every + late) // 60)} minutes" in reminder
    assert queue.delays == [every, every]


async def test_a_snoozed_incident_waits_for_the_snooze_to_end() -> None:
    snoozed = incident(1, last_update_at=NOW - 3600, snoozed_until=NOW + 600)
    incidents, _, queue, slack = wired(snoozed)
    await incidents.remind(snoozed.id, NOW)
    assert slack.posted == []
    assert queue.delays == [600]


async def test_a_resolved_incident_is_not_reminded_and_not_looked_at_again() -> None:
    done = incident(1, status="resolved", resolved_at=NOW - 60)
    incidents, _, queue, slack = wired(done)
    await incidents.remind(done.id, NOW)
    assert (slack.posted, queue.delays) == ([], [])


@pytest.mark.parametrize(
    ("asked_for", "minutes"),
    [(None, DEFAULT_SNOOZE), (0, DEFAULT_SNOOZE), (5, 5), (MAX_SNOOZE, MAX_SNOOZE), (MAX_SNOOZE + 1, MAX_SNOOZE)],
)
async def test_a_snooze_lasts_what_was_asked_within_a_day(asked_for: int | None, minutes: int) -> None:
    open_ = incident(2)
    incidents, store, _, _ = wired(open_)
    answer = await incidents.snooze(asked_for, asked())
    assert answer == f"Reminders for `{open_.id}` are snoozed for {minutes} minutes."
    assert store.incidents[open_.id].snoozed_until == NOW + minutes * 60
    assert [(e.kind, e.text) for e in store.events] == [("snooze", f"{minutes} minutes")]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_slug_is_a_short_channel_name_part(title: str) -> None:
    made = slug(title)
    assert made
    assert len(made) <= SLUG_LENGTH
    assert set(made) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not made.startswith("-")
    assert not made.endswith("-")
    assert "--" not in made


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=5))
def test_a_timeline_has_one_line_per_event_whatever_its_text(texts: list[str]) -> None:
    events = [Event(f"r{i}", NOW + i, "U_ALICE", "update", text) for i, text in enumerate(texts)]
    shown = timeline_text(events)
    assert len(shown.splitlines()) == len(events) if events else shown == ""


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEVERITIES), st.text(), st.floats(0, 2e9))
def test_an_incident_reads_back_as_it_was_saved(severity: int, title: str, at: float) -> None:
    saved = incident(severity, title=title, last_update_at=at, snoozed_until=at)
    assert Incident.from_json(saved.to_json()) == saved
