"""Alert groups open incidents once per firing episode and tell them of every change, once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alerts.fakes import FakeAlertGroupStore, FakeIncidentLink
from bot.alerts.groups import AlertGroups
from bot.alerts.incident_news import current_alerts, declaration, group_of, incident_key, severity_of
from bot.alerts.ports import group_id
from bot.clients.slack_markup import to_mrkdwn
from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.fakes import FakeMarks, FakeMutexes, ManualClock, RecordingChat
from bot.model import SlackThread
from tests.bot.alerts.builders import alert, notification

CONFIG = OpsConfig.parse({"alerts": {"default_channel": "C_ALERTS"}})
LATER = "2023-02-06T15:00:00Z"
ENDED = "2023-02-06T14:00:00Z"


class Setup:
    def __init__(self, config: OpsConfig = CONFIG) -> None:
        self.clock = ManualClock()
        self.chat = RecordingChat()
        marks = FakeMarks(self.clock)
        self.store = FakeAlertGroupStore(self.clock)
        self.link = FakeIncidentLink()
        reporter = Reporter({"slack": self.chat}, Replies(marks), marks, self.clock)
        self.groups = AlertGroups(
            self.store, reporter, FakeMutexes(clock=self.clock), config, None, self.clock, incidents=self.link
        )

    def news(self) -> list[str]:
        return [text for incident in self.link.incidents.values() for _, text in incident.news]


@pytest.fixture
def setup() -> Setup:
    return Setup()


async def test_a_critical_group_opens_one_incident_however_often_it_is_delivered(setup: Setup) -> None:
    first = notification(alert("a"))
    await setup.groups.notified(first)
    await setup.groups.notified(first)  # redelivered
    await setup.groups.notified(notification(alert("a")))  # repeat_interval
    [incident] = setup.link.incidents.values()
    assert incident.severity == 1
    assert incident.title == "ProbeFailure: BlackBox Probe Failure: https://server.example.org"
    group = await setup.store.load(group_id(first.group_key))
    assert group is not None
    assert group.incident_id == incident.id
    assert incident.alerted_in == SlackThread("C_ALERTS", group.message_ts)
    # The group's message names its incident.
    assert incident.id in setup.chat.messages[str(group.message_ts)].text
    # The declaring notification is the incident's first news, told once.
    assert len(incident.news) == 1
    assert "firing: ProbeFailure" in incident.news[0][1]


async def test_a_job_run_again_from_the_state_before_gets_the_same_incident(setup: Setup) -> None:
    first = notification(alert("a"))
    await setup.groups.notified(first)
    # The worker died after declaring, before saving: the group is as it was before.
    gid = group_id(first.group_key)
    saved = await setup.store.load(gid)
    assert saved is not None
    await setup.store.save(saved.but(alerts={}, incident_id=None))
    await setup.groups.notified(first)
    assert len(setup.link.incidents) == 1
    assert len(setup.news()) == 1


async def test_firing_again_after_resolving_opens_a_second_incident(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    await setup.groups.notified(notification(alert("a", status="resolved", ends=ENDED)))
    await setup.groups.notified(notification(alert("a", starts=LATER)))
    first, second = setup.link.incidents.values()
    assert first.key != second.key
    group = await setup.store.load(group_id(notification(alert("a")).group_key))
    assert group is not None
    assert group.incident_id == second.id


async def test_a_group_below_the_incident_severities_opens_none(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a", labels={"severity": "warning"})))
    assert setup.link.incidents == {}
    assert setup.news() == []


async def test_configured_severities_open_incidents_with_the_mapped_severity() -> None:
    setup = Setup(OpsConfig.parse({"alerts": {"default_channel": "C_ALERTS", "incident_severities": ["warning"]}}))
    await setup.groups.notified(notification(alert("a", labels={"severity": "warning"})))
    [incident] = setup.link.incidents.values()
    assert incident.severity == 3


async def test_each_change_is_told_once_and_all_resolved_once(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    joined = notification(alert("a"), alert("b", labels={"alertname": "<!channel> *Big*"}))
    await setup.groups.notified(joined)
    await setup.groups.notified(joined)  # redelivered: nothing new
    partly = notification(alert("a", status="resolved", ends=ENDED), alert("b"))
    await setup.groups.notified(partly)
    done = notification(alert("a", status="resolved", ends=ENDED), alert("b", status="resolved", ends=ENDED))
    await setup.groups.notified(done)
    await setup.groups.notified(done)
    [incident] = setup.link.incidents.values()
    texts = [text for _, text in incident.news]
    assert len(texts) == 5, texts
    assert "1 now firing, 0 resolved" in texts[1]
    assert "host-b" in texts[1]
    assert "0 now firing, 1 resolved" in texts[2]
    assert "host-a" in texts[2]
    assert "0 now firing, 1 resolved" in texts[3]
    assert "host-b" in texts[3]
    assert texts[4].startswith("Every alert linked")
    # Label text is data: no token a renderer would turn into a ping, no live bold.
    shown = to_mrkdwn(texts[1])
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "*Big*" not in shown


async def test_all_resolved_waits_for_every_linked_group(setup: Setup) -> None:
    one = notification(alert("a"))
    other = notification(alert("x"), groupKey='{}:{alertname="Other"}', groupLabels={"alertname": "Other"})
    await setup.groups.notified(one)
    [incident] = setup.link.incidents.values()
    await setup.groups.notified(other)  # its own incident; link it to the first too
    incident.groups.append(other.group_key)
    await setup.groups.notified(notification(alert("a", status="resolved", ends=ENDED)))
    assert not any(key.startswith("resolved:") for key, _ in incident.news)
    # The other group's own incident isn't the first one's: resolving it tells only its own.
    assert len(setup.link.incidents) == 2


async def test_current_alerts_shows_the_linked_groups_state(setup: Setup) -> None:
    first = notification(alert("a"), alert("b", status="resolved", ends=ENDED))
    await setup.groups.notified(first)
    [incident] = setup.link.incidents.values()
    text = await current_alerts(setup.store, [incident.key, first.group_key, "unknown"])
    assert text.count("Alert group ProbeFailure") == 1  # one group, however it is named
    assert "FIRING (1 firing, 1 resolved)" in text
    assert "firing: ProbeFailure" in text
    assert "resolved: ProbeFailure" in text
    assert "no longer known" in text


@given(st.text(max_size=40), st.text(alphabet="0123456789abcdef", min_size=24, max_size=24))
def test_episode_keys_name_their_group(episode: str, gid: str) -> None:
    assert group_of(incident_key(gid, episode)) == gid


@given(st.text(max_size=60))
def test_any_plain_group_key_is_its_group_id(key: str) -> None:
    if not key.startswith("alerts:"):
        assert group_of(key) == group_id(key)


@pytest.mark.parametrize(
    ("label", "severity"),
    [("critical", 1), ("CRITICAL", 1), ("error", 2), ("high", 2), ("warning", 3), ("info", 4), ("", 4)],
)
def test_severity_labels_map_to_incident_severities(label: str, severity: int) -> None:
    assert severity_of(label) == severity


async def test_a_declare_click_names_the_episode_the_group_opened_by_itself(setup: Setup) -> None:
    """An earlier warning in the group doesn't change the key: the critical alert names the episode."""
    early_warning = alert("w", starts="2023-02-06T12:00:00Z", labels={"severity": "warning"})
    await setup.groups.notified(notification(early_warning, alert("a")))
    group = await setup.store.load(group_id(notification(alert("a")).group_key))
    assert group is not None
    [incident] = setup.link.incidents.values()
    declared = declaration(group_id(group.group_key), group, CONFIG.alerts)
    assert declared is not None
    assert declared[0] == incident.key
    assert declared[2] == 1  # the worst opening alert
    quiet = group.but(alerts={})
    assert declaration(group_id(group.group_key), quiet, CONFIG.alerts) is None
