"""Which repository a thread is in, and whether a person may push there: a check that fails denies."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.errors import UpstreamUnavailable
from bot.forges import ForgeAccess, ForgeName, Repository, forge_repo, push_access, repository
from bot.model import ConsoleThread, GitHubThread, GitLabThread, Person, SlackThread

OCTOCAT = Person("github", "octocat")


class Collaborators:
    """A forge's access answers as a table: who may push where; anything else raises what it is given."""

    def __init__(self, writers: set[tuple[str, str]], failure: BaseException | None = None) -> None:
        self._writers = writers
        self._failure = failure
        self.asked: list[tuple[str, str]] = []

    async def may_push(self, repo: str, person: Person) -> bool:
        self.asked.append((repo, person.id))
        if self._failure is not None:
            raise self._failure
        return (repo, person.id) in self._writers


def test_a_forge_thread_is_in_its_repository() -> None:
    assert repository(GitHubThread("acme/api", 7, is_pull_request=True)) == Repository("github", "acme/api")
    assert repository(GitHubThread("acme/api", 8, is_pull_request=False)) == Repository("github", "acme/api")
    assert repository(GitLabThread("group/api", 3, "merge_request")) == Repository("gitlab", "group/api")
    assert repository(GitLabThread("42", 4, "issue")) == Repository("gitlab", "42")


def test_slack_and_the_console_are_in_no_repository() -> None:
    assert repository(SlackThread("C1", "1.2")) is None
    assert repository(ConsoleThread("local")) is None


def test_a_repo_setting_names_its_forge_or_takes_the_configured_one() -> None:
    assert forge_repo("gitlab:group/ops", {"github", "gitlab"}) == ("gitlab", "group/ops")
    assert forge_repo("github:acme/ops", {"gitlab"}) is None  # that forge isn't configured
    assert forge_repo("acme/ops", {"github", "gitlab"}) == ("github", "acme/ops")
    assert forge_repo("acme/ops", {"gitlab"}) == ("gitlab", "acme/ops")
    assert forge_repo(None, {"github"}) is None


async def test_a_writer_may_push_and_a_reader_may_not() -> None:
    forge = Collaborators({("acme/api", "octocat")})
    forges: dict[ForgeName, ForgeAccess] = {"github": forge}
    allowed = await push_access(forges, "github", "acme/api", OCTOCAT)
    denied = await push_access(forges, "github", "acme/web", OCTOCAT)
    assert allowed.allowed
    assert allowed.failure is None
    assert bool(allowed)
    assert not denied.allowed
    assert denied.failure is None
    assert not bool(denied)
    assert forge.asked == [("acme/api", "octocat"), ("acme/web", "octocat")]


async def test_a_forge_opsbot_has_no_credentials_for_denies() -> None:
    forges: dict[ForgeName, ForgeAccess] = {"github": Collaborators({("acme/api", "jdoe")})}
    access = await push_access(forges, "gitlab", "acme/api", Person("gitlab", "jdoe"))
    assert not access
    assert access.failure is None


@pytest.mark.parametrize(
    "failure",
    [UpstreamUnavailable("github", "no answer (ReadTimeout)"), KeyError("permission"), RuntimeError("crashed")],
)
async def test_a_check_that_fails_or_crashes_denies_and_says_why(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    forges: dict[ForgeName, ForgeAccess] = {"github": Collaborators({("acme/api", "octocat")}, failure)}
    with caplog.at_level(logging.WARNING, logger="bot.forges"):
        access = await push_access(forges, "github", "acme/api", OCTOCAT)
    assert not access.allowed
    assert access.failure is failure
    assert [r.getMessage() for r in caplog.records] == ["permission check failed"]


async def test_cancellation_is_not_a_denial() -> None:
    forges: dict[ForgeName, ForgeAccess] = {"github": Collaborators(set(), asyncio.CancelledError())}
    with pytest.raises(asyncio.CancelledError):
        await push_access(forges, "github", "acme/api", OCTOCAT)
