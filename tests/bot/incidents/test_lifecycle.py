"""Incident lifecycle, timeline and reminders on fakes: no redis-server, no Slack, no forge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pytest

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.errors import CommandError
from bot.fakes import FakeIssueTracker, FakeMarks, ManualClock, RecordingChat
from bot.incidents.fakes import FakeIncidentStore, FakeRooms
from bot.incidents.lifecycle import Incidents, IncidentServices
from bot.incidents.model import Event, Incident, RoomPlatform, timeline_text
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.fakes import FakeJobQueue
from bot.model import ChatMessage, ConsoleThread, GitHubThread, Person, SlackThread
from bot.text import channel

DECLARED_AT = 1_800_000_000.0  # 2027-01-15 08:00 UTC
ALICE, BOB = Person("slack", "U_ALICE"), Person("slack", "U_BOB")
OPS = SlackThread("C_OPS")


class BrokenReviewer:
    async def draft(self, incident: Incident, timeline: Sequence[Event], what: Literal["review", "summary"]) -> str:
        raise TimeoutError("the agent took too long")


@dataclass
class Room:
    incidents: Incidents
    store: FakeIncidentStore
    rooms: FakeRooms
    chat: RecordingChat
    tracker: FakeIssueTracker
    queue: FakeJobQueue
    clock: ManualClock

    def said_in(self, channel: str) -> list[str]:
        return [m.text for m in self.chat.messages.values() if m.place == SlackThread(channel)]

    async def due_reminders(self) -> None:
        """Run every reminder job whose time has come, as the worker would."""
        await self.queue.promote_due()
        for delivery in await self.queue.take("worker", count=100, wait=0):
            due = ReminderDue.from_json(delivery.job.payload)
            assert delivery.job.kind == ReminderDue.KIND
            await self.incidents.remind(due.incident, due.due)
            await self.queue.complete(delivery)


def open_room(
    *,
    taken: tuple[str, ...] = (),
    rooms_on: RoomPlatform = "slack",
    tracking: bool = True,
    current_alerts: Callable[[Sequence[str]], Awaitable[str]] | None = None,
    store: Callable[[ManualClock], FakeIncidentStore] = FakeIncidentStore,
) -> Room:
    clock, chat, tracker = ManualClock(DECLARED_AT), RecordingChat(), FakeIssueTracker()
    kept, rooms, queue, marks = store(clock), FakeRooms(taken, rooms_on), FakeJobQueue(clock), FakeMarks(clock)
    config = OpsConfig(incident_repo="acme/ops" if tracking else None)
    reporter = Reporter({"slack": chat, "github": chat, "console": chat}, Replies(marks), marks, clock)
    services = IncidentServices(
        kept, rooms, reporter, {"github": tracker}, queue, config, clock, reviewer=BrokenReviewer(),
        current_alerts=current_alerts,
    )  # fmt: skip
    return Room(Incidents(services), kept, rooms, chat, tracker, queue, clock)


@pytest.fixture
def room() -> Room:
    return open_room()


def said(text: str, *, by: Person = ALICE, place: SlackThread | ConsoleThread = OPS, n: int = 1) -> ChatMessage:
    return ChatMessage(f"m-{n}", by, place, text, "slash")


async def declare(room: Room, title: str = "Checkout is down", severity: int = 2) -> Incident:
    answer = await room.incidents.declare(title, severity, said(f"incident declare {title}"))
    assert answer.startswith("Declared `inc-20270115-")
    [incident_id] = await room.store.open_ids()
    incident = await room.store.get(incident_id)
    assert incident is not None
    return incident


async def test_declaring_opens_a_channel_an_issue_and_plans_a_reminder(room: Room) -> None:
    incident = await declare(room)
    assert incident.id == "inc-20270115-checkout-is-down"
    assert room.rooms.members[str(incident.channel)] == [ALICE]
    assert room.rooms.pins[str(incident.channel)] == [incident.summary_ts]
    [issue] = room.tracker.issues.values()
    assert (issue.title, issue.labels) == ("[Incident] sev2: Checkout is down", ["incident", "sev2"])
    assert incident.tracking == {"forge": "github", "repo": "acme/ops", "number": 1}
    [announced] = [m.text for m in room.chat.messages.values() if m.place == OPS]
    assert announced.startswith("🚨 Incident declared: **Checkout is down** (sev2)")
    assert (await room.queue.depth()).delayed == 1
    assert [e.kind for e in await room.store.timeline(incident.id)] == ["declared"]


async def test_declaring_again_from_the_same_request_opens_nothing_new(room: Room) -> None:
    first = await declare(room)
    again = await declare(room)  # the job ran twice: its worker died after the first run
    assert again == first
    assert len(room.rooms.rooms) == 1
    assert len(room.tracker.issues) == 1
    assert len(await room.store.timeline(first.id)) == 1
    assert len([m for m in room.chat.messages.values() if m.place == OPS]) == 1


async def test_a_taken_channel_name_gets_a_number() -> None:
    room = open_room(taken=("inc-20270115-checkout-is-down",))
    incident = await declare(room)
    assert incident.id == "inc-20270115-checkout-is-down-2"


async def test_incidents_are_declared_in_slack_only(room: Room) -> None:
    forge_message = ChatMessage("m-9", Person("github", "octocat"), GitHubThread("acme/api", 1, False), "", "mention")
    with pytest.raises(CommandError, match="declared in Slack"):
        await room.incidents.declare("api broken", 2, forge_message)


async def test_console_rooms_carry_an_incident_from_the_console_and_no_slack_incident() -> None:
    room = open_room(rooms_on="console", tracking=False)
    shell, typing = ConsoleThread("C_SHELL"), Person("console", "U_SHELL")
    answer = await room.incidents.declare("Checkout is down", 2, said("declare", by=typing, place=shell))
    [incident_id] = await room.store.open_ids()
    incident = await room.store.get(incident_id)
    assert incident is not None
    assert incident.room_platform == "console"
    in_room = ConsoleThread(str(incident.channel))
    assert answer == f"Declared `{incident_id}`: join {channel(str(incident.channel))}."
    await room.incidents.update("rolled back", said("update", by=typing, place=in_room, n=2))
    # The room is the console's: what is told there goes to the console, none of it to a Slack channel.
    told = [m.text for m in room.chat.messages.values() if m.place == in_room]
    assert told[0].startswith("🚨 **Checkout is down**")
    assert any("rolled back" in t for t in told)
    assert room.said_in(str(incident.channel)) == []
    assert await room.incidents.in_channel(in_room) == await room.store.get(incident_id)
    assert await room.incidents.in_channel(SlackThread(str(incident.channel))) is None
    with pytest.raises(CommandError, match="declared in Slack"):
        await room.incidents.declare("From Slack", 2, said("declare", n=3))


async def test_a_quiet_incident_is_reminded_by_severity_and_again_later(room: Room) -> None:
    incident = await declare(room, severity=2)  # sev2: every 30 minutes
    channel = str(incident.channel)
    room.clock.now += 29 * 60
    await room.due_reminders()
    assert not any("No status update" in t for t in room.said_in(channel))
    room.clock.now += 2 * 60
    await room.due_reminders()
    [reminder] = [t for t in room.said_in(channel) if "No status update" in t]
    assert "No status update for 31 minutes (sev2 expects one every 30)" in reminder
    room.clock.now += 30 * 60
    await room.due_reminders()
    assert len([t for t in room.said_in(channel) if "No status update" in t]) == 2


async def test_an_update_or_a_snooze_puts_the_reminder_off(room: Room) -> None:
    incident = await declare(room, severity=2)
    in_channel = SlackThread(str(incident.channel))
    room.clock.now += 20 * 60
    await room.incidents.update("rolled back web", said("update", place=in_channel, n=2))
    room.clock.now += 15 * 60  # 35 minutes after declaring, 15 after the update
    await room.due_reminders()
    assert not any("No status update" in t for t in room.said_in(in_channel.channel))
    await room.incidents.snooze(60, said("snooze", place=in_channel, n=3))
    room.clock.now += 45 * 60  # the update's 30 minutes are over, the snooze's 60 are not
    await room.due_reminders()
    assert not any("No status update" in t for t in room.said_in(in_channel.channel))
    room.clock.now += 20 * 60
    await room.due_reminders()
    assert any("No status update" in t for t in room.said_in(in_channel.channel))


async def test_a_reminder_run_twice_reminds_once_and_a_resolved_incident_never(room: Room) -> None:
    incident = await declare(room, severity=1)
    room.clock.now += 16 * 60
    due = DECLARED_AT + 15 * 60
    await room.incidents.remind(incident.id, due)
    room.clock.now += 5  # its worker died after posting; the job runs again a little later
    await room.incidents.remind(incident.id, due)
    assert len([t for t in room.said_in(str(incident.channel)) if "No status update" in t]) == 1
    await room.incidents.resolve("fixed", said("resolve", place=SlackThread(str(incident.channel)), n=5))
    room.clock.now += 60 * 60
    await room.due_reminders()
    assert len([t for t in room.said_in(str(incident.channel)) if "No status update" in t]) == 1


async def test_the_timeline_has_each_step_once_and_goes_to_the_issue_on_resolve(room: Room) -> None:
    incident = await declare(room)
    in_channel = SlackThread(str(incident.channel))
    room.clock.now += 60
    update = said("update", place=in_channel, n=2)
    await room.incidents.update("rolled back web", update)
    await room.incidents.update("rolled back web", update)  # the same request, run again
    await room.incidents.set_commander("U_BOB", said("commander", by=BOB, place=in_channel, n=3))
    await room.incidents.deploy_news("github:acme/web:4:created", "Rollback of `web` to `production`")
    await room.incidents.deploy_news("github:acme/web:4:created", "Rollback of `web` to `production`")
    room.clock.now += 60
    assert await room.incidents.resolve("cache purged", said("resolve", place=in_channel, n=4)) == (
        f"`{incident.id}` is resolved."
    )
    timeline = await room.store.timeline(incident.id)
    assert [e.kind for e in timeline] == ["declared", "update", "commander", "deploy", "resolved"]
    assert timeline_text(timeline).splitlines()[1] == f"- 08:01 UTC · update · {ALICE.ref}: rolled back web"
    issue_place = GitHubThread("acme/ops", 1, False)
    on_issue = [m.text for m in room.chat.messages.values() if m.place == issue_place]
    assert any(t.startswith("**Resolved.** Timeline:\n") and "cache purged" in t for t in on_issue)
    # The agent could not draft a review; the template stands in, and the incident still resolves.
    assert any(t.startswith("**Post-incident review (template)**") for t in on_issue)
    assert room.tracker.issues[("acme/ops", 1)].open is False
    assert await room.store.open_ids() == []
    assert await room.incidents.resolve("again", said("resolve", place=in_channel, n=6)) == (
        f"`{incident.id}` was already resolved."
    )


async def test_outside_its_channel_a_command_takes_the_only_open_incident(room: Room) -> None:
    with pytest.raises(CommandError, match="no open incident"):
        await room.incidents.update("hello", said("update", n=2))
    await declare(room, "Search is down")
    await room.incidents.update("still down", said("update", n=3))
    await room.incidents.declare("Emails delayed", 3, said("declare", n=4))
    with pytest.raises(CommandError, match="Run this in the incident's channel"):
        await room.incidents.update("which one?", said("update", n=5))
