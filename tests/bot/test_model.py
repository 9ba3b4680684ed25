"""One name per thread: the same thread always gets it, two threads never share it."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import GitHubThread, Place, SlackThread, earlier_thread_keys, public_place, thread_key
from tests.bot.places import github_threads, places, slack_threads


def _then(place: Place) -> str:
    # How stores named a thread before thread_key fixed the flag and the characters.
    return ":".join(str(v) for v in public_place(place).values() if v is not None)


def test_names_read_as_they_did_for_threads_whose_name_did_not_change() -> None:
    assert thread_key(SlackThread("C_OPS", "1700000000.000100")) == "C_OPS:1700000000.000100:slack"
    assert thread_key(GitHubThread("acme/api", 7, is_pull_request=False)) == "acme/api:7:False:github"


@settings(max_examples=200, deadline=None)
@given(slack_threads)
def test_a_slash_commands_reply_address_is_not_part_of_the_name(place: SlackThread) -> None:
    other = replace(place, response_url="https://hooks.slack.example/commands/another")
    assert thread_key(place) == thread_key(other)
    assert "hooks.slack.example" not in thread_key(place)


@settings(max_examples=200, deadline=None)
@given(github_threads)
def test_a_github_thread_has_one_name_whether_or_not_the_webhook_says_it_is_a_pull_request(
    place: GitHubThread,
) -> None:
    flipped = replace(place, is_pull_request=not place.is_pull_request)
    assert thread_key(place) == thread_key(flipped)


@settings(max_examples=300, deadline=None)
@given(places, places)
def test_different_threads_get_different_names(a: Place, b: Place) -> None:
    same_thread = replace(a, is_pull_request=False) if isinstance(a, GitHubThread) else a
    other = replace(b, is_pull_request=False) if isinstance(b, GitHubThread) else b
    if isinstance(same_thread, SlackThread) and isinstance(other, SlackThread):
        same_thread, other = replace(same_thread, response_url=None), replace(other, response_url=None)
    if same_thread != other and "--" not in _then(a) + _then(b):
        assert thread_key(a) != thread_key(b)


@settings(max_examples=300, deadline=None)
@given(places)
def test_a_name_fits_in_a_hidden_marker(place: Place) -> None:
    name = thread_key(place)
    assert "--" not in name
    assert ">" not in name
    assert name.split() == [name]


@settings(max_examples=300, deadline=None)
@given(places)
def test_every_name_a_thread_was_stored_under_before_is_still_read(place: Place) -> None:
    described = (
        [place, replace(place, is_pull_request=not place.is_pull_request)]
        if isinstance(place, GitHubThread)
        else [place]
    )
    names = {thread_key(place), *earlier_thread_keys(place)}
    assert {_then(p) for p in described} <= names
    assert thread_key(place) not in earlier_thread_keys(place)


@given(st.sampled_from(["acme/api--v2", "acme/a>b"]), st.booleans())
def test_characters_a_marker_cant_hold_are_dropped_and_the_old_name_kept_for_reading(repo: str, pr: bool) -> None:
    place = GitHubThread(repo, 3, is_pull_request=pr)
    assert thread_key(place) in ("acme/api-v2:3:False:github", "acme/ab:3:False:github")
    assert f"{repo}:3:False:github" in earlier_thread_keys(place)
