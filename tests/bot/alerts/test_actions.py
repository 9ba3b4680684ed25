"""The alert message's buttons and the reconciling of silenced groups, on the fakes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from bot.alertmanager import HeldAlert, Matcher
from bot.alerts.actions import ASK_TEXT, AlertAction, AlertActions, ReconcileDue
from bot.alerts.fakes import FakeAlertGroupStore
from bot.alerts.groups import AlertGroups
from bot.alerts.incident_news import incident_key, severity_of
from bot.alerts.ports import AlertGroup, LastDeploy, group_id
from bot.alerts.render import ASK_ACTION, DECLARE_ACTION, SILENCE_1H_ACTION, SILENCE_4H_ACTION
from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.fake_alertmanager import FakeAlertmanager
from bot.fakes import FakeMarks, FakeMutexes, ManualClock, RecordingChat
from bot.jobs.kinds import Job
from bot.model import ChatMessage, SlackThread
from bot.text import plain
from tests.bot.alerts.builders import alert, notification

CONFIG = OpsConfig.parse(
    {
        "services": {"api": {"github": "acme/api", "environments": ["production"]}},
        "environments": {"production": {"deployers": ["U_DEPLOYER"], "approvers": ["U_APPROVER"]}},
        "alerts": {"default_channel": "C_ALERTS"},
    }
)


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[tuple[Job, str | None, float]] = []
        self._seen: set[str] = set()

    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        if dedupe_key is not None:
            if dedupe_key in self._seen:
                return False
            self._seen.add(dedupe_key)
        self.jobs.append((job, dedupe_key, delay))
        return True


class Setup:
    def __init__(self, config: OpsConfig = CONFIG) -> None:
        self.clock = ManualClock()
        self.chat = RecordingChat()
        marks = FakeMarks(self.clock)
        self.store = FakeAlertGroupStore(self.clock)
        self.am = FakeAlertmanager(self.clock)
        self.queue = RecordingQueue()
        self.declared: list[tuple[str, str, int, SlackThread, str]] = []
        self.incidents: dict[str, str] = {}
        self.reporter = reporter = Reporter({"slack": self.chat}, Replies(marks), marks, self.clock)
        mutexes = FakeMutexes(clock=self.clock)
        self.groups = AlertGroups(self.store, reporter, mutexes, config, None, self.clock)

        async def declare(key: str, title: str, severity: int, where: SlackThread, by: str) -> str:
            self.declared.append((key, title, severity, where, by))
            return self.incidents.setdefault(key, f"inc-{len(self.incidents) + 1}")

        self.actions = AlertActions(
            self.store, reporter, mutexes, config, self.queue, self.am, declare, reconcile_every=60, clock=self.clock
        )
        self.clicks = 0

    def click(self, action: str, group: AlertGroup, who: str = "U_DEPLOYER") -> AlertAction:
        self.clicks += 1
        assert group.message_ts is not None
        return AlertAction.from_json(
            {
                "action": action,
                "group_id": group_id(group.group_key),
                "clicker": who,
                "channel": group.channel,
                "message_ts": group.message_ts,
                "click_id": f"trigger-{self.clicks}",
            }
        )

    def message(self, group: AlertGroup) -> str:
        assert group.message_ts is not None
        return plain(self.chat.messages[group.message_ts].text)

    def thread(self, group: AlertGroup) -> list[str]:
        return [
            plain(m.text)
            for m in self.chat.messages.values()
            if m.place == SlackThread(group.channel, group.message_ts)
        ]

    async def reload(self, group: AlertGroup) -> AlertGroup:
        found = await self.store.load(group_id(group.group_key))
        assert found is not None
        return found


@pytest.fixture
def setup() -> Setup:
    return Setup()


async def _group(setup: Setup) -> AlertGroup:
    first = notification(alert("a"), alert("b"))
    await setup.groups.notified(first)
    found = await setup.store.load(group_id(first.group_key))
    assert found is not None
    return found


def _labels(group: AlertGroup) -> Mapping[str, str]:
    return dict(group.group_labels)


async def test_a_silencer_silences_the_group_in_alertmanager(setup: Setup) -> None:
    group = await _group(setup)
    assert await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group)) == "silenced"
    [made] = setup.am.created
    assert made.matchers == tuple(Matcher(k, v) for k, v in sorted(_labels(group).items()))
    assert made.created_by == "U_DEPLOYER"
    assert made.comment.startswith(f"opsbot alert message {group.channel}/{group.message_ts}: ")
    assert (made.ends_at - made.starts_at).total_seconds() == 3600
    after = await setup.reload(group)
    assert after.silence_id is not None
    assert after.silenced_by == "U_DEPLOYER"
    until = datetime.fromtimestamp(setup.clock.now + 3600, UTC).strftime("%H:%M UTC")
    assert "Silenced by " in setup.message(group)
    assert f"U_DEPLOYER until {until}" in setup.message(group)
    assert any("silenced this group" in t for t in setup.thread(group))
    [(job, _, delay)] = setup.queue.jobs
    assert job.kind == ReconcileDue.KIND
    assert delay == 60


async def test_four_hours_and_approvers_may_silence_too(setup: Setup) -> None:
    group = await _group(setup)
    assert await setup.actions.clicked(setup.click(SILENCE_4H_ACTION, group, "U_APPROVER")) == "silenced"
    [made] = setup.am.created
    assert (made.ends_at - made.starts_at).total_seconds() == 4 * 3600


async def test_anyone_else_is_refused_and_nothing_is_created(setup: Setup) -> None:
    group = await _group(setup)
    assert await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group, "U_STRANGER")) == "refused"
    assert setup.am.created == []
    assert (await setup.reload(group)).silence_id is None
    assert any("only silencers" in t for t in setup.thread(group))


async def test_a_retried_click_does_not_make_a_second_silence(setup: Setup) -> None:
    group = await _group(setup)
    click = setup.click(SILENCE_1H_ACTION, group)
    await setup.actions.clicked(click)
    # As if the first answer was lost: the group doesn't know its silence yet.
    await setup.store.save((await setup.reload(group)).but(silence_id=None, silenced_until=None, silenced_by=None))
    setup.clock.now += 5
    await setup.actions.clicked(click)
    assert len(setup.am.created) == 1
    assert (await setup.reload(group)).silence_id is not None


async def test_alertmanager_down_answers_with_an_error_id_and_keeps_the_buttons(setup: Setup) -> None:
    group = await _group(setup)
    setup.am.down = True
    assert await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group)) == "failed"
    [answer] = setup.thread(group)
    assert "Alertmanager" in answer
    assert "error id E-" in answer
    assert (await setup.reload(group)).silence_id is None
    assert group.message_ts is not None
    assert SILENCE_1H_ACTION in [b.action for b in setup.chat.messages[group.message_ts].buttons]
    setup.am.down = False
    assert await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group)) == "silenced"


async def _silenced(setup: Setup) -> AlertGroup:
    group = await _group(setup)
    for a in group.alerts.values():
        now = datetime.fromtimestamp(setup.clock.now, UTC)
        setup.am.hold(
            HeldAlert(a.fingerprint, a.labels, a.annotations, now, now.replace(year=now.year + 1), now, "active")
        )
    await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group))
    return await setup.reload(group)


async def test_reconcile_marks_resolved_what_alertmanager_no_longer_holds(setup: Setup) -> None:
    group = await _silenced(setup)
    [first, second] = sorted(group.alerts)
    setup.am.drop(first)
    setup.clock.now += 60
    assert await setup.actions.reconcile(ReconcileDue(group_id(group.group_key), setup.clock.now)) == "pending"
    after = await setup.reload(group)
    assert after.alerts[first].status == "resolved"
    assert after.alerts[second].status == "firing"
    assert "1 firing, 1 resolved" in setup.message(group)
    setup.am.drop(second)
    setup.clock.now += 60
    assert await setup.actions.reconcile(ReconcileDue(group_id(group.group_key), setup.clock.now)) == "resolved"
    assert (await setup.reload(group)).resolved
    assert "RESOLVED" in setup.message(group)


async def test_reconcile_stops_when_the_silence_ends(setup: Setup) -> None:
    group = await _silenced(setup)
    assert group.silence_id is not None
    await setup.am.expire_silence(group.silence_id)
    setup.clock.now += 60
    scheduled = len(setup.queue.jobs)
    assert await setup.actions.reconcile(ReconcileDue(group_id(group.group_key), setup.clock.now)) == "ended"
    assert (await setup.reload(group)).silence_id is None
    assert "Silenced" not in setup.message(group)
    assert len(setup.queue.jobs) == scheduled  # nothing more scheduled


async def test_declare_twice_is_one_incident(setup: Setup) -> None:
    group = await _group(setup)
    assert await setup.actions.clicked(setup.click(DECLARE_ACTION, group)) == "declared"
    assert await setup.actions.clicked(setup.click(DECLARE_ACTION, group, "U_OTHER")) == "declared"
    assert len(set(setup.incidents.values())) == 1
    key, title, severity, where, by = setup.declared[0]
    # The key automatic incidents use too, so a click finds an incident the group opened by itself.
    assert key.startswith(incident_key(group_id(group.group_key), ""))
    assert title.startswith("ProbeFailure: BlackBox Probe Failure")
    firing = [a for a in group.alerts.values() if a.status == "firing"]
    assert severity == min(severity_of(a.labels.get("severity", "")) for a in firing)
    assert where == SlackThread(group.channel, group.message_ts)
    assert by == "U_DEPLOYER"
    assert (await setup.reload(group)).incident_id == "inc-1"
    assert "Incident inc-1" in setup.message(group)


async def test_ask_starts_one_agent_task_in_the_thread(setup: Setup) -> None:
    group = await _group(setup)
    click = setup.click(ASK_ACTION, group, "U_ANYONE")
    assert await setup.actions.clicked(click) == "asked"
    await setup.actions.clicked(click)  # a redelivered job
    [(job, _, _)] = setup.queue.jobs
    message = ChatMessage.from_json(job.payload)
    assert message.text == ASK_TEXT
    assert message.via == "mention"
    assert message.author.id == "U_ANYONE"
    assert message.place == SlackThread(group.channel, group.message_ts)


async def test_without_alertmanager_there_are_no_silence_buttons() -> None:
    setup = Setup()
    setup.groups = AlertGroups(
        setup.store,
        setup.reporter,
        FakeMutexes(clock=setup.clock),
        CONFIG,
        None,
        setup.clock,
        silenceable=False,
    )
    group = await _group(setup)
    assert group.message_ts is not None
    actions = [b.action for b in setup.chat.messages[group.message_ts].buttons]
    assert actions == [DECLARE_ACTION, ASK_ACTION]


async def test_a_click_keeps_the_deploy_line() -> None:
    setup = Setup()
    deploy = LastDeploy("api", "production", "main", "abc1234def", "U_ALICE", setup.clock.now - 12 * 60)

    async def last_deploy(group: AlertGroup) -> LastDeploy | None:
        return deploy

    setup.actions = AlertActions(
        setup.store,
        setup.reporter,
        FakeMutexes(clock=setup.clock),
        CONFIG,
        setup.queue,
        setup.am,
        last_deploy=last_deploy,
        clock=setup.clock,
    )
    group = await _group(setup)
    await setup.actions.clicked(setup.click(SILENCE_1H_ACTION, group))
    assert "api was deployed 12 min ago" in setup.message(group)
    assert "Silenced by" in setup.message(group)
