"""What is waiting for whom, on fakes: approvals by approver and requester, own locks, channels' todos,
refreshes once per burst, and the Home's buttons as the clicker's own commands."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Environment, OpsConfig, Service
from bot.errors import StoreUnavailable, UpstreamRejected, UpstreamUnavailable
from bot.fakes import FakeMarks, ManualClock
from bot.home.fakes import FakeHomeSources, FakeHomeTabs, FakeHomeViewers, FakeMemberships
from bot.home.homes import CHANNELS_TTL, VIEWER_TTL, Homes
from bot.home.model import (
    HOME_ACTIONS,
    HeldLock,
    HomeAction,
    HomeRefresh,
    LatestDeploy,
    OpenIncident,
    OpenTodoList,
    WaitingApproval,
)
from bot.jobs.fakes import FakeJobQueue
from bot.model import Answer, ChatMessage, Person, SlackThread

ALICE, BOB, CAROL, DAVE = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE"
NOW = 1_800_000_000.0
DELAY = 3.0


def config() -> OpsConfig:
    return OpsConfig(
        services={"api": Service("api", ("staging", "production"), github="acme/api")},
        environments={
            "staging": Environment("staging"),
            "production": Environment("production", protected=True, approvers=(CAROL, DAVE)),
        },
    )


def approval(requester: str = ALICE, *, id: str = "abc123", expires_in: float = 600.0) -> WaitingApproval:
    return WaitingApproval(id, "api", "production", "main", "a" * 40, requester, NOW + expires_in)


@dataclass
class Commands:
    """The command table as the Home sees it: records what it was asked, answers as told."""

    answer: Answer | str = "👍 done"
    asked: list[ChatMessage] = field(default_factory=list)

    async def __call__(self, message: ChatMessage) -> Answer | str:
        self.asked.append(message)
        return self.answer


@dataclass
class Desk:
    homes: Homes
    sources: FakeHomeSources
    tabs: FakeHomeTabs
    viewers: FakeHomeViewers
    memberships: FakeMemberships
    queue: FakeJobQueue
    clock: ManualClock
    commands: Commands


@pytest.fixture
def desk() -> Desk:
    clock = ManualClock(NOW)
    sources, tabs, viewers, memberships = FakeHomeSources(), FakeHomeTabs(), FakeHomeViewers(clock), FakeMemberships()
    queue, commands = FakeJobQueue(clock), Commands()

    async def link(channel: str, thread_ts: str) -> str | None:
        return f"https://acme.slack.com/archives/{channel}/p{thread_ts.replace('.', '')}"

    homes = Homes(
        sources, viewers, FakeMarks(clock), queue, config(), clock,
        tabs=tabs, memberships=memberships, links=link, refresh_delay=DELAY,
    )  # fmt: skip
    homes.commands = commands
    return Desk(homes, sources, tabs, viewers, memberships, queue, clock, commands)


async def queued(desk: Desk) -> list[HomeRefresh]:
    """The refresh jobs due by now (taken off the queue)."""
    await desk.queue.promote_due()
    taken = await desk.queue.take("test", count=100, wait=0)
    return [HomeRefresh.from_json(d.job.payload) for d in taken if d.job.kind == HomeRefresh.KIND]


async def test_an_approval_waits_for_the_approvers_who_did_not_ask(desk: Desk) -> None:
    desk.sources.approvals = [approval(ALICE, id="aaa111"), approval(CAROL, id="ccc333")]
    carol, dave, alice = [await desk.homes.home_for(user) for user in (CAROL, DAVE, ALICE)]
    assert [a.id for a in carol.approvals] == ["aaa111"]  # not her own request
    assert [a.id for a in dave.approvals] == ["aaa111", "ccc333"]
    assert alice.approvals == ()  # not an approver of production


async def test_an_expired_approval_or_one_to_an_environment_gone_from_ops_yaml_waits_for_nobody(desk: Desk) -> None:
    gone = WaitingApproval("eee555", "api", "qa", "main", "a" * 40, ALICE, NOW + 600)
    desk.sources.approvals = [approval(expires_in=-1), approval(id="bbb222", expires_in=60), gone]
    assert [a.id for a in (await desk.homes.home_for(CAROL)).approvals] == ["bbb222"]


async def test_the_most_urgent_approval_comes_first(desk: Desk) -> None:
    desk.sources.approvals = [approval(id="late01", expires_in=1500), approval(id="soon01", expires_in=60)]
    assert [a.id for a in (await desk.homes.home_for(CAROL)).approvals] == ["soon01", "late01"]


async def test_a_person_sees_their_own_locks_only(desk: Desk) -> None:
    desk.sources.held = [
        HeldLock("production", "api", BOB, "migration", NOW),
        HeldLock("staging", None, ALICE, None, NOW),
        HeldLock("production", None, ALICE, "freeze", NOW),
    ]
    alice = await desk.homes.home_for(ALICE)
    assert [(lock.environment, lock.service) for lock in alice.locks] == [("production", None), ("staging", None)]
    assert [lock.reason for lock in (await desk.homes.home_for(BOB)).locks] == ["migration"]
    assert (await desk.homes.home_for(CAROL)).locks == ()


async def test_incidents_worst_first_and_deploys_newest_first_for_everyone(desk: Desk) -> None:
    desk.sources.incidents = [
        OpenIncident("inc-a", "slow", 3, "C_A", ALICE, NOW - 50),
        OpenIncident("inc-b", "down", 1, "C_B", None, NOW - 100),
        OpenIncident("inc-c", "also slow", 3, "C_C", BOB, NOW - 10),
    ]
    desk.sources.deploys = [
        LatestDeploy("api", "staging", "main", "a" * 40, "success", ALICE, NOW - 300),
        LatestDeploy("api", "production", "v2", "b" * 40, "in_progress", BOB, NOW - 5),
    ]
    home = await desk.homes.home_for(DAVE)
    assert [i.id for i in home.incidents] == ["inc-b", "inc-c", "inc-a"]
    assert [d.environment for d in home.deploys] == ["production", "staging"]


async def test_todo_lists_come_from_the_channels_slack_says_the_viewer_is_in(desk: Desk) -> None:
    desk.memberships.channels = {ALICE: ["C_OPS"], BOB: ["C_WEB"]}
    ops = OpenTodoList("C_OPS", "1700000000.000100", 1, 3, "[Ops] check the dashboards")
    desk.sources.todo_lists = {"C_OPS": [ops], "C_WEB": [OpenTodoList("C_WEB", None, 0, 1, "[Ops] INCIDENT: page")]}
    [alices] = (await desk.homes.home_for(ALICE)).todos
    assert (alices.channel, alices.next_item) == ("C_OPS", "[Ops] check the dashboards")
    assert alices.link == "https://acme.slack.com/archives/C_OPS/p1700000000000100"
    [bobs] = (await desk.homes.home_for(BOB)).todos
    assert (bobs.channel, bobs.thread_ts, bobs.link) == ("C_WEB", None, None)  # a channel's own list has no thread
    assert (await desk.homes.home_for(CAROL)).todos == ()


async def test_slacks_answer_about_channels_is_kept_two_minutes(desk: Desk) -> None:
    desk.memberships.channels = {ALICE: ["C_OPS"]}
    await desk.homes.home_for(ALICE)
    desk.memberships.channels = {ALICE: ["C_OPS", "C_NEW"]}
    desk.sources.todo_lists = {"C_NEW": [OpenTodoList("C_NEW", None, 0, 1, "[Ops] new")]}
    assert (await desk.homes.home_for(ALICE)).todos == ()
    assert desk.memberships.asked == 1
    desk.clock.now += CHANNELS_TTL + 1
    assert [t.channel for t in (await desk.homes.home_for(ALICE)).todos] == ["C_NEW"]
    assert desk.memberships.asked == 2


async def test_when_slack_wont_say_the_channels_the_home_says_so_and_still_shows_the_rest(desk: Desk) -> None:
    desk.memberships.failure = UpstreamUnavailable("Slack", "ratelimited", status=429)
    desk.sources.held = [HeldLock("staging", None, ALICE, None, NOW)]
    home = await desk.homes.home_for(ALICE)
    assert (home.channels_known, home.todos, len(home.locks)) == (False, (), 1)


async def test_opening_the_home_publishes_it_and_keeps_it_fresh_for_a_day(desk: Desk) -> None:
    desk.sources.approvals = [approval(ALICE)]
    await desk.homes.refresh(HomeRefresh(CAROL, opened=True))
    assert [a.id for a in desk.tabs.latest(CAROL).approvals] == ["abc123"]
    assert await desk.viewers.recent(NOW) == [CAROL]
    assert await desk.viewers.recent(NOW + VIEWER_TTL + 1) == []


async def test_a_burst_of_changes_is_one_refresh_of_every_recent_viewer_after_the_burst(desk: Desk) -> None:
    for user in (CAROL, DAVE):
        await desk.homes.opened(user)
    published = len(desk.tabs.published)
    for _ in range(5):
        await desk.homes.changed()
    assert await queued(desk) == []  # delayed: the rest of the burst comes first
    desk.sources.approvals = [approval(ALICE)]  # the burst's last change
    desk.clock.now += DELAY
    [refresh] = await queued(desk)
    assert refresh == HomeRefresh()
    reads = desk.sources.reads
    await desk.homes.refresh(refresh)
    assert desk.sources.reads == reads + 1  # read once for every Home it makes
    assert [home.viewer for home in desk.tabs.published[published:]] == [CAROL, DAVE]
    assert all(home.approvals for home in desk.tabs.published[published:])
    await desk.homes.changed()  # after the window, a change schedules the next refresh
    desk.clock.now += DELAY
    assert await queued(desk) == [HomeRefresh()]


async def test_an_approval_request_is_refreshed_away_when_it_expires(desk: Desk) -> None:
    await desk.homes.changes_at(NOW + 600)  # nobody looking: nothing scheduled
    await desk.homes.opened(CAROL)
    await desk.homes.changes_at(NOW + 600)
    desk.clock.now += 600
    assert await queued(desk) == []
    desk.clock.now += DELAY
    assert await queued(desk) == [HomeRefresh()]


async def test_changes_nobody_is_looking_at_schedule_nothing(desk: Desk) -> None:
    await desk.homes.changed()
    desk.clock.now += DELAY
    assert await queued(desk) == []
    await desk.homes.opened(CAROL)
    desk.clock.now += VIEWER_TTL + 1  # she hasn't looked for a day
    await desk.homes.changed()
    desk.clock.now += DELAY
    assert await queued(desk) == []


async def test_a_change_that_cant_schedule_a_refresh_is_logged_not_raised(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    class Down(FakeHomeViewers):
        async def recent(self, now: float) -> list[str]:
            raise StoreUnavailable("redis is down")

    homes = Homes(desk.sources, Down(), FakeMarks(desk.clock), desk.queue, config(), desk.clock, tabs=desk.tabs)
    with caplog.at_level(logging.WARNING):
        await homes.changed()
    assert "could not schedule a refresh" in caplog.text


async def test_a_home_that_cant_be_published_is_logged_and_the_others_still_are(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    for user in (CAROL, DAVE):
        await desk.viewers.seen(user, NOW + 60)
    desk.tabs.failure = UpstreamRejected("Slack", "invalid_arguments", code="invalid_arguments")
    with caplog.at_level(logging.WARNING):
        await desk.homes.refresh(HomeRefresh())
    assert [home.viewer for home in desk.tabs.published] == [DAVE]
    assert "could not publish a Home" in caplog.text


def click(value: str = "abc123", action: str = "approve", user: str = CAROL, click_id: str = "1.2.t") -> HomeAction:
    return HomeAction(user, action, value, click_id)  # type: ignore[arg-type]


async def test_a_click_is_the_clickers_own_command_and_its_answer_tops_their_home(desk: Desk) -> None:
    desk.commands.answer = Answer("👍 Approved by U_CAROL.")
    await desk.homes.clicked(click())
    [asked] = desk.commands.asked
    assert (asked.author, asked.text, asked.via) == (Person("slack", CAROL), "approve abc123", "slash")
    assert asked.place == SlackThread(CAROL)  # nothing is posted there: the answer goes on the Home
    assert desk.tabs.latest(CAROL).notice == "👍 Approved by U_CAROL."


async def test_a_refusal_shows_on_the_home_of_who_clicked(desk: Desk) -> None:
    desk.commands.answer = "You can't approve your own deploy: someone else has to."
    await desk.homes.clicked(click(user=ALICE))
    assert desk.tabs.latest(ALICE).notice == "You can't approve your own deploy: someone else has to."


async def test_a_click_run_again_is_not_carried_out_twice(desk: Desk) -> None:
    await desk.homes.clicked(click())
    await desk.homes.clicked(click())  # the job, redelivered
    assert len(desk.commands.asked) == 1
    assert len(desk.tabs.published) == 2
    await desk.homes.clicked(click(click_id="another.click"))
    assert len(desk.commands.asked) == 2


async def test_unlock_names_the_lock_in_the_words_unlock_takes(desk: Desk) -> None:
    lock = HeldLock("production", "api", ALICE, None, NOW)
    await desk.homes.clicked(click(lock.words, "unlock", ALICE))
    assert desk.commands.asked[0].text == "unlock production api"


@given(st.sampled_from(HOME_ACTIONS), st.text(max_size=80))
async def test_a_buttons_value_reaches_the_grammar_only_as_names(action: str, value: str) -> None:
    clock = ManualClock(NOW)
    commands, tabs = Commands(), FakeHomeTabs()
    homes = Homes(FakeHomeSources(), FakeHomeViewers(clock), FakeMarks(clock), FakeJobQueue(clock), config(), clock,
                  tabs=tabs)  # fmt: skip
    homes.commands = commands
    await homes.clicked(click(value, action))
    if commands.asked:
        first, *rest = commands.asked[0].text.split(" ")
        assert first == action
        assert 1 <= len(rest) <= 2
        assert all(word.isascii() and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", word) for word in rest)
        assert commands.asked[0].text == f"{action} {' '.join(value.split())}"
    else:
        assert tabs.latest(CAROL).notice == "That button doesn't name anything opsbot knows; nothing was done."


async def test_a_click_that_failed_for_good_says_so_on_the_home(desk: Desk) -> None:
    await desk.homes.failed(click(), "GitHub is not answering right now. (error id E-1234ABCD)")
    assert desk.tabs.latest(CAROL).notice == "GitHub is not answering right now. (error id E-1234ABCD)"


def test_the_jobs_read_back_what_they_wrote() -> None:
    for request in (HomeRefresh(), HomeRefresh(CAROL, opened=True)):
        assert HomeRefresh.from_json(request.to_json()) == request
    action = click()
    assert HomeAction.from_json(action.to_json()) == action
    with pytest.raises(ValueError, match="action"):
        HomeAction.from_json({**action.to_json(), "action": "deploy"})
