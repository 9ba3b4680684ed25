"""The remember, memories and forget commands on fakes: where a memory belongs, who may change it, what is visible."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from bot.deploys.fakes import FakeForge
from bot.errors import CommandError
from bot.fakes import ManualClock
from bot.memory.commands import Forget, MemoryCommands, Remember, home_scope, visible_scopes
from bot.memory.commands import Memories as ListMemories
from bot.memory.fakes import FakeMemoryStore
from bot.memory.memories import Memories
from bot.model import ChatMessage, ConsoleThread, GitHubThread, GitLabThread, Person, Place, SlackThread
from tests.bot.places import github_threads, gitlab_threads, places, slack_threads

API = "acme/api"
PULL = GitHubThread(API, 7, True)
OCTOCAT, STRANGER, ALICE = Person("github", "octocat"), Person("github", "stranger"), Person("slack", "U_ALICE")


@pytest.fixture
def forge() -> FakeForge:
    forge = FakeForge()
    forge.add_repo(API, writers=(OCTOCAT,))
    return forge


@pytest.fixture
def commands(forge: FakeForge) -> MemoryCommands:
    return MemoryCommands(Memories(FakeMemoryStore(), ManualClock(step=1.0)), {"github": forge})


def said(by: Person, place: Place, n: int = 1) -> ChatMessage:
    return ChatMessage(f"m-{n}", by, place, "remember", "mention")


def test_a_memory_belongs_to_its_repository_on_a_forge_and_to_the_team_elsewhere() -> None:
    assert home_scope(PULL) == "repo:acme/api"
    assert home_scope(SlackThread("C_OPS", "1.0")) == "global"
    assert visible_scopes(SlackThread("C_OPS", "1.0")) == ["global", "channel:C_OPS"]
    assert visible_scopes(PULL) == ["global", "repo:acme/api"]
    assert visible_scopes(ConsoleThread("local")) == ["global"]


async def test_remembered_on_a_pull_request_it_is_seen_in_that_repository_only(commands: MemoryCommands) -> None:
    answer = await commands.remember(Remember("context", "api staging runs on the blue cluster"), said(OCTOCAT, PULL))
    assert "(repo:acme/api)" in answer
    assert "blue cluster" in await commands.list(ListMemories(), said(OCTOCAT, GitHubThread(API, 9, False), 2))
    elsewhere = await commands.list(ListMemories(), said(ALICE, SlackThread("C_OPS"), 3))
    assert elsewhere == "No memories here yet. Teach one with `remember <type> <text>`."
    [recalled] = await commands.recall(said(OCTOCAT, PULL, 4), "where does staging run", budget=100)
    assert recalled.scope == "repo:acme/api"
    assert await commands.recall(said(ALICE, SlackThread("C_OPS"), 5), "where does staging run", budget=100) == []


async def test_on_a_forge_only_people_who_can_push_change_memories(commands: MemoryCommands, forge: FakeForge) -> None:
    with pytest.raises(CommandError, match="Only people who can push to `acme/api`"):
        await commands.remember(Remember("mistake", "never deploy on fridays"), said(STRANGER, PULL))
    forge.permission_error = ConnectionError("forge down")
    with pytest.raises(CommandError, match="couldn't confirm your access"):
        await commands.remember(Remember("mistake", "never deploy on fridays"), said(OCTOCAT, PULL))
    assert "No memories" in await commands.list(ListMemories(), said(OCTOCAT, PULL))
    # In Slack the team's own rooms need no forge permission.
    assert "(global)" in await commands.remember(
        Remember("mistake", "never deploy on fridays"), said(ALICE, SlackThread("C_OPS"))
    )


async def test_forget_works_only_where_the_memory_is_visible_and_by_a_pusher(commands: MemoryCommands) -> None:
    await commands.remember(Remember("context", "api uses port 8443"), said(OCTOCAT, PULL))
    [memory] = await commands.recall(said(OCTOCAT, PULL, 2), "api port", budget=100)
    with pytest.raises(CommandError, match="no memory"):
        await commands.forget(Forget(memory.id), said(ALICE, SlackThread("C_OPS"), 3))
    with pytest.raises(CommandError, match="Only people who can push"):
        await commands.forget(Forget(memory.id), said(STRANGER, PULL, 4))
    assert (await commands.forget(Forget(memory.id), said(OCTOCAT, PULL, 5))).startswith(f"🗑️ Forgot `{memory.id}`")
    assert await commands.recall(said(OCTOCAT, PULL, 6), "api port", budget=100) == []


async def test_the_listing_filters_by_type_and_names_each_memory(commands: MemoryCommands) -> None:
    slack = SlackThread("C_OPS")
    await commands.remember(Remember("mistake", "never deploy on fridays"), said(ALICE, slack))
    await commands.remember(Remember("pattern", "canary for an hour first"), said(ALICE, slack, 2))
    listed = await commands.list(ListMemories("pattern"), said(ALICE, slack, 3))
    assert listed.startswith("**What opsbot remembers here** (newest 1):")
    assert "_pattern_ canary for an hour first (global, by U_ALICE)" in listed
    assert "fridays" not in listed
    assert await commands.list(ListMemories("strategy"), said(ALICE, slack, 4)) == (
        "No _strategy_ memories here yet. Teach one with `remember <type> <text>`."
    )


def test_scopes_read_as_stored_memories_name_them() -> None:
    assert home_scope(GitHubThread("acme/api", 7, is_pull_request=True)) == "repo:acme/api"
    assert home_scope(GitLabThread("acme/web", 3, "merge_request")) == "repo:acme/web"
    assert home_scope(SlackThread("C_OPS", "1.2")) == "global"
    assert home_scope(ConsoleThread("console")) == "global"
    assert visible_scopes(SlackThread("C_OPS", "1.2")) == ["global", "channel:C_OPS"]
    assert visible_scopes(ConsoleThread("console")) == ["global"]


@settings(max_examples=200, deadline=None)
@given(places)
def test_every_place_sees_the_teams_memories_and_what_it_was_taught(place: Place) -> None:
    scopes = visible_scopes(place)
    assert scopes[0] == "global"
    assert home_scope(place) in scopes
    assert len(scopes) == len(set(scopes))


@settings(max_examples=200, deadline=None)
@given(github_threads | gitlab_threads, github_threads | gitlab_threads)
def test_a_repository_sees_only_its_own_memories(
    a: GitHubThread | GitLabThread, b: GitHubThread | GitLabThread
) -> None:
    repo_a = a.repo if isinstance(a, GitHubThread) else a.project
    repo_b = b.repo if isinstance(b, GitHubThread) else b.project
    if repo_a != repo_b:
        assert home_scope(b) not in visible_scopes(a)
    else:
        assert home_scope(b) in visible_scopes(a)


@settings(max_examples=200, deadline=None)
@given(slack_threads, slack_threads)
def test_a_slack_channel_sees_its_own_channel_memories_only(a: SlackThread, b: SlackThread) -> None:
    own = f"channel:{b.channel}"
    assert (own in visible_scopes(a)) == (a.channel == b.channel)
    assert visible_scopes(a) == visible_scopes(SlackThread(a.channel)), "every thread of a channel sees the same"
