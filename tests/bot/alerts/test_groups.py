"""Alert groups: one message per group, edited only when something changed, a note when alerts join."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.alerts.fakes import FakeAlertGroupStore
from bot.alerts.groups import AlertGroups
from bot.alerts.ports import LastDeploy, group_id
from bot.alerts.render import DECLARE_ACTION, SILENCE_1H_ACTION
from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.errors import UpstreamError
from bot.fakes import FakeMarks, FakeMutexes, ManualClock, RecordingChat
from bot.model import Button, Place, SlackThread
from tests.bot.alerts.builders import alert, notification

CONFIG = OpsConfig.parse(
    {
        "services": {"api": {"github": "acme/api", "environments": ["production"]}},
        "environments": {"production": {}},
        "alerts": {"routes": [{"match": {"service": "api"}, "channel": "C_API"}], "default_channel": "C_ALERTS"},
    }
)
ENDED = "2023-02-06T14:00:00Z"


class Setup:
    def __init__(self, config: OpsConfig = CONFIG, deploy: LastDeploy | None = None) -> None:
        self.clock = ManualClock()
        self.chat = RecordingChat()
        marks = FakeMarks(self.clock)
        self.store = FakeAlertGroupStore(self.clock)
        self.asked: list[str] = []
        self.deploy = deploy

        async def last_deploys(service: str) -> LastDeploy | None:
            self.asked.append(service)
            if self.deploy is None:
                raise UpstreamError("GitHub", "the forge is down")
            return self.deploy

        reporter = Reporter({"slack": self.chat}, Replies(marks), marks, self.clock)
        self.groups = AlertGroups(self.store, reporter, FakeMutexes(clock=self.clock), config, last_deploys, self.clock)

    def in_channel(self, channel: str) -> list[str]:
        return [i for i, m in self.chat.messages.items() if m.place == SlackThread(channel)]

    def in_thread(self, channel: str, ts: str) -> list[str]:
        return [m.text for m in self.chat.messages.values() if m.place == SlackThread(channel, ts)]


@pytest.fixture
def setup() -> Setup:
    return Setup()


async def test_the_first_notification_posts_one_message_with_buttons(setup: Setup) -> None:
    first = notification(alert("a"))
    assert await setup.groups.notified(first) == "posted"
    [message_id] = setup.in_channel("C_ALERTS")
    posted = setup.chat.messages[message_id]
    assert "FIRING: 1" in posted.text
    assert "BlackBox Probe Failure" in posted.text
    assert next(b.action for b in posted.buttons) == SILENCE_1H_ACTION
    assert DECLARE_ACTION in [b.action for b in posted.buttons]
    assert {b.value for b in posted.buttons} == {group_id(first.group_key)}
    group = await setup.store.load(group_id(first.group_key))
    assert group is not None
    assert group.message_ts == message_id
    assert group.channel == "C_ALERTS"


async def test_a_resend_with_nothing_new_changes_nothing(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    setup.clock.now += 4 * 3600  # repeat_interval
    assert await setup.groups.notified(notification(alert("a"))) == "unchanged"
    [message_id] = setup.in_channel("C_ALERTS")
    assert setup.chat.messages[message_id].edits == []
    assert len(setup.chat.messages) == 1


async def test_annotations_templated_with_the_current_value_are_not_news(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a", annotations={"summary": "latency 1.2 s"})))
    assert (
        await setup.groups.notified(notification(alert("a", annotations={"summary": "latency 1.3 s"}))) == "unchanged"
    )
    [message_id] = setup.in_channel("C_ALERTS")
    assert setup.chat.messages[message_id].edits == []
    await setup.groups.notified(notification(alert("a", annotations={"summary": "latency 1.4 s"}), alert("b")))
    assert "latency 1.4 s" in setup.chat.messages[message_id].text


async def test_a_joining_alert_edits_the_message_and_posts_one_note_in_its_thread(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    joined = notification(alert("a"), alert("b", annotations={"summary": "host b is down"}))
    assert await setup.groups.notified(joined) == "edited"
    assert await setup.groups.notified(joined) == "unchanged"  # a redelivered job: no second note
    [message_id] = setup.in_channel("C_ALERTS")
    message = setup.chat.messages[message_id]
    assert len(message.edits) == 1
    assert "FIRING: 2" in message.text
    assert setup.in_thread("C_ALERTS", message_id) == ["🔥 Now firing: host b is down"]


async def test_alerts_alertmanager_forgot_are_kept_until_they_resolve(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a"), alert("b")))
    await setup.groups.notified(notification(alert("b", status="resolved", ends=ENDED)))
    group = await setup.store.load(group_id(notification(alert("a")).group_key))
    assert group is not None
    assert {fp: a.status for fp, a in group.alerts.items()} == {"a": "firing", "b": "resolved"}
    assert not group.resolved
    [message_id] = setup.in_channel("C_ALERTS")
    assert "1 firing, 1 resolved" in setup.chat.messages[message_id].text


async def test_a_group_whose_alerts_all_resolved_is_marked_resolved(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    assert await setup.groups.notified(notification(alert("a", status="resolved", ends=ENDED))) == "edited"
    [message_id] = setup.in_channel("C_ALERTS")
    message = setup.chat.messages[message_id]
    assert "RESOLVED" in message.text
    assert message.buttons == ()
    group = await setup.store.load(group_id(notification(alert("a")).group_key))
    assert group is not None
    assert group.resolved
    assert setup.in_thread("C_ALERTS", message_id) == []


async def test_an_alert_firing_again_is_news(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a")))
    await setup.groups.notified(notification(alert("a", status="resolved", ends=ENDED)))
    again = notification(alert("a", starts="2023-02-06T15:00:00Z"))
    assert await setup.groups.notified(again) == "edited"
    [message_id] = setup.in_channel("C_ALERTS")
    assert "FIRING: 1" in setup.chat.messages[message_id].text
    assert len(setup.in_thread("C_ALERTS", message_id)) == 1


async def test_truncated_alerts_are_counted_and_a_change_of_count_is_news(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a"), truncated=3))
    assert await setup.groups.notified(notification(alert("a"), truncated=5)) == "edited"
    [message_id] = setup.in_channel("C_ALERTS")
    assert "left out 5 more alerts" in setup.chat.messages[message_id].text


async def test_routes_pick_the_channel_and_the_service_brings_its_last_deploy() -> None:
    deploy = LastDeploy("api", "production", "main", "abc1234def", "U_ALICE", 0.0)
    setup = Setup(deploy=deploy)
    deploy_at = setup.clock() - 12 * 60
    setup.deploy = LastDeploy("api", "production", "main", "abc1234def", "U_ALICE", deploy_at)
    await setup.groups.notified(notification(alert("a"), commonLabels={"service": "api", "severity": "critical"}))
    [message_id] = setup.in_channel("C_API")
    assert (
        "api was deployed 12 min ago by U_ALICE: abc1234 (main to production)" in setup.chat.messages[message_id].text
    )
    assert setup.asked == ["api"]


async def test_a_deploy_that_cannot_be_read_leaves_the_line_out(setup: Setup) -> None:
    await setup.groups.notified(notification(alert("a"), commonLabels={"service": "api"}))
    [message_id] = setup.in_channel("C_API")
    assert "deployed" not in setup.chat.messages[message_id].text
    # A label naming no configured service asks nothing.
    await setup.groups.notified(notification(alert("b"), groupKey="other", commonLabels={"service": "nope"}))
    assert setup.asked == ["api"]


async def test_with_nowhere_to_route_the_group_is_dropped_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup(OpsConfig.parse({}))
    assert await setup.groups.notified(notification(alert("a"))) == "unrouted"
    assert setup.chat.messages == {}
    assert "no alerts route matches" in caplog.text


async def test_the_next_features_fields_survive_every_update(setup: Setup) -> None:
    first = notification(alert("a"))
    await setup.groups.notified(first)
    gid = group_id(first.group_key)
    group = await setup.store.load(gid)
    assert group is not None
    await setup.store.save(group.but(silence_id="s-1", silenced_until=5.0, silenced_by="U_CAROL", incident_id="i-1"))
    await setup.groups.notified(notification(alert("a"), alert("b")))
    after = await setup.store.load(gid)
    assert after is not None
    assert (after.silence_id, after.silenced_until, after.silenced_by, after.incident_id) == (
        "s-1",
        5.0,
        "U_CAROL",
        "i-1",
    )


class SlackFailingOnce(RecordingChat):
    """Posts fail while ``failing`` is set: Slack refusing the threaded note after the edit went through."""

    failing = False

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        if self.failing:
            self.failing = False
            raise UpstreamError("Slack", "ratelimited")
        return await super().post(place, text, reply_key=reply_key, buttons=buttons)


async def test_a_note_that_failed_is_posted_once_when_the_job_runs_again() -> None:
    clock = ManualClock()
    chat = SlackFailingOnce()
    marks = FakeMarks(clock)
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    groups = AlertGroups(FakeAlertGroupStore(clock), reporter, FakeMutexes(clock=clock), CONFIG, None, clock)
    await groups.notified(notification(alert("a")))
    joined = notification(alert("a"), alert("b", annotations={"summary": "host b is down"}))
    chat.failing = True
    with pytest.raises(UpstreamError):
        await groups.notified(joined)
    assert await groups.notified(joined) == "edited"  # the retry: the group wasn't saved as notified
    [message_id] = [i for i, m in chat.messages.items() if m.place == SlackThread("C_ALERTS")]
    notes = [m.text for m in chat.messages.values() if m.place == SlackThread("C_ALERTS", message_id)]
    assert notes == ["🔥 Now firing: host b is down"]
