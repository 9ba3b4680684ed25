"""Where a memory taught in a place belongs, and which memories a place sees."""

from __future__ import annotations

from hypothesis import given, settings

from bot.memory.commands import home_scope, visible_scopes
from bot.model import ConsoleThread, GitHubThread, GitLabThread, Place, SlackThread
from tests.bot.places import github_threads, gitlab_threads, places, slack_threads


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
