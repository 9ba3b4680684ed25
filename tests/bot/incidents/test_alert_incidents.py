"""Incidents an alert group opens, and what they hear of its alerts, on fakes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.incidents.fakes import FakeIncidentStore
from bot.incidents.lifecycle import ALERT_TITLE_LENGTH, alert_claim, alert_title
from bot.incidents.model import Incident
from bot.model import GitHubThread, SlackThread
from bot.text import OPEN, channel, mention
from tests.bot.incidents.test_lifecycle import BOB, DECLARED_AT, Room, open_room, said

GROUP = '{}/{severity="critical"}:{alertname="ApiDown"}'
ALERT_THREAD = SlackThread("C_ALERTS", "1700000000.000100")
ISSUE = GitHubThread("acme/ops", 1, False)


@pytest.fixture
def room() -> Room:
    return open_room()


async def alerted(room: Room, declared_by: str | None = None, group: str = GROUP) -> Incident:
    return await room.incidents.declare_for_alerts(group, "ApiDown: api is down", 1, ALERT_THREAD, declared_by)


def in_alert_thread(room: Room) -> list[str]:
    return [m.text for m in room.chat.messages.values() if m.place == ALERT_THREAD]


def on_issue(room: Room) -> list[str]:
    return [m.text for m in room.chat.messages.values() if m.place == ISSUE]


async def test_an_alert_group_declares_one_incident_however_often_it_is_told(room: Room) -> None:
    first = await alerted(room)
    again = await alerted(room)  # a redelivered notification, or a second worker after the first
    assert again == first
    assert first.id == "inc-20270115-apidown-api-is-down"
    assert first.alert_groups == (GROUP,)
    assert len(room.rooms.rooms) == 1
    assert len(room.tracker.issues) == 1
    assert [e.kind for e in await room.store.timeline(first.id)] == ["declared"]
    [announced] = in_alert_thread(room)
    assert announced.startswith("🚨 Incident declared: **ApiDown: api is down** (sev1)")
    assert channel(str(first.channel)) in announced
    assert room.said_in(ALERT_THREAD.channel) == []  # in the alert's thread, not the channel
    assert (await room.queue.depth()).delayed == 1


async def test_another_group_gets_its_own_incident(room: Room) -> None:
    first = await alerted(room)
    other = await alerted(room, group='{}:{alertname="DiskFull"}')
    assert other.id != first.id
    assert len(room.rooms.rooms) == 2


THEIRS = Incident(
    "inc-20270115-apidown-api-is-down", "ApiDown: api is down", 1, None, "opsbot", DECLARED_AT,
    {"platform": "slack", "channel": ALERT_THREAD.channel, "thread_ts": ALERT_THREAD.thread_ts},
    channel="C_THEIRS", alert_groups=(GROUP,),
)  # fmt: skip


class RacedStore(FakeIncidentStore):
    """A store where another worker claims the group and saves its incident just before this run claims."""

    async def claim_request(self, message_id: str, incident_id: str) -> str:
        if await self.by_request(message_id) is None:
            await super().claim_request(message_id, THEIRS.id)
            await self.save(THEIRS)
        return await super().claim_request(message_id, incident_id)


async def test_a_declaration_another_worker_won_is_theirs_and_never_overwritten() -> None:
    room = open_room(taken=(THEIRS.id,), store=RacedStore)
    ours = await alerted(room)
    assert (ours.id, ours.channel) == (THEIRS.id, "C_THEIRS")
    stored = await room.store.get(THEIRS.id)
    assert stored is not None
    assert stored.channel == "C_THEIRS"
    assert await room.store.open_ids() == [THEIRS.id]
    assert [t for t in room.said_in("C_THEIRS") if t.startswith("🚨")]  # the summary went to their channel


async def test_a_declaration_whose_first_run_died_before_saving_is_finished_by_the_next(room: Room) -> None:
    # The first run claimed the group and opened its channel, then its worker died before saving.
    await room.store.claim_request(alert_claim(GROUP), "inc-20270115-apidown-api-is-down")
    room.rooms.rooms["inc-20270115-apidown-api-is-down"] = "C_LOST"
    incident = await alerted(room)
    assert incident.id == "inc-20270115-apidown-api-is-down"
    assert incident.channel is not None
    assert await room.store.get(incident.id) == incident
    assert await room.store.by_channel(str(incident.channel)) == incident
    assert await alerted(room) == incident


async def test_an_incident_an_alert_opened_has_no_commander_until_someone_takes_it(room: Room) -> None:
    incident = await alerted(room)
    assert incident.commander is None
    assert incident.declared_by == "opsbot"
    assert room.rooms.members.get(str(incident.channel), []) == []  # nobody to invite
    take = "take it with `/ops incident commander @your-name`"
    [announced] = in_alert_thread(room)
    assert f"no commander yet: {take}" in announced
    [summary] = room.said_in(str(incident.channel))
    assert f"Commander: nobody yet ({take})" in summary

    room.clock.now += 16 * 60  # sev1 expects an update every 15 minutes
    await room.due_reminders()
    [reminder] = [t for t in room.said_in(str(incident.channel)) if "No status update" in t]
    assert f"Nobody is commander yet: {take}" in reminder

    in_channel = SlackThread(str(incident.channel))
    await room.incidents.set_commander("U_BOB", said("commander", by=BOB, place=in_channel, n=2))
    [summary] = [t for t in room.said_in(str(incident.channel)) if t.startswith("🚨")]
    assert f"Commander: {mention('slack', 'U_BOB')}" in summary


async def test_whoever_clicked_declare_commands_the_incident_and_is_invited(room: Room) -> None:
    incident = await alerted(room, declared_by="U_BOB")
    assert (incident.commander, incident.declared_by) == ("U_BOB", "U_BOB")
    assert room.rooms.members[str(incident.channel)] == [BOB]
    [announced] = in_alert_thread(room)
    assert announced.endswith(f"commander {mention('slack', 'U_BOB')}")


async def test_a_declare_click_on_a_group_the_alert_opened_hands_it_to_the_clicker(room: Room) -> None:
    opened = await alerted(room)
    clicked = await alerted(room, declared_by="U_BOB")
    again = await alerted(room, declared_by="U_BOB")  # the click's job, run again
    assert clicked.id == again.id == opened.id
    assert (clicked.commander, again.commander) == ("U_BOB", "U_BOB")
    assert room.rooms.members[str(opened.channel)] == [BOB]
    assert [e.kind for e in await room.store.timeline(opened.id)] == ["declared", "commander"]
    [summary] = [t for t in room.said_in(str(opened.channel)) if t.startswith("🚨")]
    assert f"Commander: {mention('slack', 'U_BOB')}" in summary
    assert "Declared by opsbot from an alert" in summary
    assert len(in_alert_thread(room)) == 1
    other = await alerted(room, declared_by="U_ALICE")  # a later click changes nobody's command
    assert other.commander == "U_BOB"


async def test_alert_news_is_told_once_per_key_in_the_channel_timeline_and_issue(room: Room) -> None:
    incident = await alerted(room)
    news = "ApiDown is firing on api-2 as well"
    assert await room.incidents.alert_news(incident.id, f"{GROUP}:fp2:firing", news) is True
    assert await room.incidents.alert_news(incident.id, f"{GROUP}:fp2:firing", news) is False
    assert [t for t in room.said_in(str(incident.channel)) if news in t] == [f"🔔 {news}"]
    timeline = await room.store.timeline(incident.id)
    assert [(e.kind, e.who, e.text) for e in timeline[1:]] == [("alert", "opsbot", news)]
    assert [t for t in on_issue(room) if news in t] == [f"**alert** by opsbot: {news}"]

    assert await room.incidents.alert_news(incident.id, f"{GROUP}:fp2:resolved", "api-2 resolved") is True
    assert [e.kind for e in await room.store.timeline(incident.id)] == ["declared", "alert", "alert"]


async def test_alert_news_for_a_resolved_or_unknown_incident_is_not_told(room: Room) -> None:
    incident = await alerted(room)
    in_channel = SlackThread(str(incident.channel))
    await room.incidents.resolve("fixed", said("resolve", place=in_channel, n=3))
    before = len(room.chat.messages)
    assert await room.incidents.alert_news(incident.id, "k", "late news") is False
    assert await room.incidents.alert_news("inc-nothing", "k", "news") is False
    assert len(room.chat.messages) == before


async def test_when_every_alert_resolves_the_channel_is_told_and_the_incident_stays_open(room: Room) -> None:
    incident = await alerted(room)
    assert await room.incidents.alerts_all_resolved(incident.id, f"{GROUP}:1") is True
    assert await room.incidents.alerts_all_resolved(incident.id, f"{GROUP}:1") is False
    [told] = [t for t in room.said_in(str(incident.channel)) if "has resolved" in t]
    assert "Every alert linked to this incident has resolved" in told
    assert "stays open" in told
    assert "`/ops incident resolve [<summary>]`" in told
    assert "nobody yet" in told  # no commander yet: it says how to take it
    stored = await room.store.get(incident.id)
    assert stored is not None
    assert stored.status == "open"
    assert [e.kind for e in await room.store.timeline(incident.id)] == ["declared", "alert"]
    assert any("has resolved" in t for t in on_issue(room))


async def test_the_agent_sees_the_linked_alerts_now_when_a_source_is_wired() -> None:
    asked: list[Sequence[str]] = []

    async def current_alerts(groups: Sequence[str]) -> str:
        asked.append(groups)
        return "ApiDown firing since 08:00 on api-1, api-2"

    unwired = open_room()
    assert await unwired.incidents.alerts_now(await alerted(unwired)) is None
    room = open_room(current_alerts=current_alerts)
    incident = await alerted(room)
    assert await room.incidents.alerts_now(incident) == "ApiDown firing since 08:00 on api-1, api-2"
    assert asked == [(GROUP,)]
    linked = await room.incidents.link_alert_group(incident.id, "another-group")
    assert linked is not None
    assert linked.alert_groups == (GROUP, "another-group")


async def test_an_alertmanager_that_cannot_answer_leaves_a_sentence_not_a_failure() -> None:
    async def down(groups: Sequence[str]) -> str:
        raise ConnectionError("alertmanager refused the connection")

    room = open_room(current_alerts=down)
    incident = await alerted(room)
    assert await room.incidents.alerts_now(incident) == "The linked alerts' current state could not be read."


async def test_a_severity_outside_one_to_four_is_refused(room: Room) -> None:
    with pytest.raises(ValueError, match="severity"):
        await room.incidents.declare_for_alerts(GROUP, "ApiDown", 5, ALERT_THREAD)
    assert room.rooms.rooms == {}


@given(st.text())
def test_an_alert_title_is_one_bounded_line_without_tokens(title: str) -> None:
    cleaned = alert_title(title)
    assert cleaned
    assert len(cleaned) <= ALERT_TITLE_LENGTH
    assert "\n" not in cleaned
    assert OPEN not in cleaned
    assert cleaned == " ".join(cleaned.split())
