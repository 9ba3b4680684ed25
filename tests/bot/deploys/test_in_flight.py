"""What a deploy asked while another is in flight hears: who asked, which commit, where to look."""

from __future__ import annotations

from bot.deploys.in_flight import in_flight_text, where_asked
from bot.deploys.model import InFlight
from bot.model import ConsoleThread, GitHubThread, GitLabThread, Person, Place, SlackThread

SHA = "0123456789abcdef0123456789abcdef01234567"


def flight(origin: Place, **found: str | None) -> InFlight:
    return InFlight("t0k3n", "api", "production", "main", SHA, Person("github", "octocat"), origin, until=0.0, **found)


def test_the_same_commit_again_is_already_deploying_and_nothing_new_is_made() -> None:
    text = in_flight_text(flight(GitHubThread("acme/api", 12, is_pull_request=True)), SHA)
    assert text.startswith("`api` `main` (`0123456`) to `production` is already deploying")
    assert "its status is in acme/api#12" in text
    assert text.endswith("Nothing new was created.")


def test_another_commit_is_told_to_wait_for_the_one_in_flight() -> None:
    text = in_flight_text(flight(SlackThread("C1", "1.5")), "f" * 40)
    assert text.startswith("Another deploy is in flight: `api` `main` (`0123456`) to `production`")
    assert "(in a thread)" in text
    assert text.endswith("Nothing was deployed; ask again once it has finished.")


def test_a_deploy_waiting_for_approval_points_at_the_approval() -> None:
    text = in_flight_text(flight(SlackThread("C1"), approval="ab12cd"), SHA)
    assert "waiting for approval `ab12cd` (`approve ab12cd`)" in text
    assert "its status is in" not in text


def test_only_an_https_link_is_offered_as_details() -> None:
    origin = GitLabThread("group/api", 4, "merge_request")
    linked = in_flight_text(flight(origin, url="https://gitlab.example/p/1"), SHA)
    unlinked = in_flight_text(flight(origin, url="javascript:alert(1)"), SHA)
    assert "· [details](https://gitlab.example/p/1)" in linked
    assert "details" not in unlinked


def test_each_place_is_named_the_way_its_platform_writes_it() -> None:
    assert where_asked(GitHubThread("acme/api", 7, is_pull_request=False)) == "acme/api#7"
    assert where_asked(GitLabThread("group/api", 3, "merge_request")) == "group/api!3"
    assert where_asked(GitLabThread("group/api", 3, "issue")) == "group/api#3"
    assert where_asked(ConsoleThread("local")) == "the console (local)"
