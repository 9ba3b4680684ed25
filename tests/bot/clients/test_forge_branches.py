"""Listing a repository's branches for the deploy form: the fake forge, and PyGithub and python-gitlab
against the emulators, answer the same way (default first, bounded, pages read only as needed)."""

from __future__ import annotations

from collections.abc import Callable

import gitlab
import pytest

from bot.clients.github import GitHubConnector, GitHubForge
from bot.clients.gitlab import GitLabForge
from bot.deploys.fakes import FakeForge
from bot.deploys.ports import BranchLister
from bot.errors import UpstreamRejected
from tests.harness import Emulators

REPO = "acme/api"
# Sorted by name, the default branch ("trunk") is not the first: it must be put first.
NAMES = ["alpha", *(f"feature/{n:03d}" for n in range(150)), "trunk", "zeta"]

Setup = Callable[[Emulators, list[str]], BranchLister]


def fake(emulators: Emulators, names: list[str]) -> BranchLister:
    forge = FakeForge()
    forge.add_repo(REPO)
    forge.branches[REPO] = {"trunk": "a" * 40} | {name: "b" * 40 for name in names}
    return forge


def github(emulators: Emulators, names: list[str]) -> BranchLister:
    emulators.github.add_repo(REPO, default_branch="trunk", branches={name: "b" * 40 for name in names})
    return GitHubForge(GitHubConnector(emulators.github.url, token=emulators.github.token, write_interval=0))


def gitlab_(emulators: Emulators, names: list[str]) -> BranchLister:
    emulators.gitlab.add_project(REPO, id=41, default_branch="trunk")
    for name in names:
        emulators.gitlab.add_branch(REPO, name)
    return GitLabForge(gitlab.Gitlab(emulators.gitlab.url, private_token=emulators.gitlab.token))


@pytest.fixture(params=[fake, github, gitlab_], ids=["fake", "github", "gitlab"])
def setup(request: pytest.FixtureRequest) -> Setup:
    chosen: Setup = request.param
    return chosen


async def test_the_default_branch_comes_first_then_the_others(emulators: Emulators, setup: Setup) -> None:
    forge = setup(emulators, ["v2", "main"])
    found = await forge.list_branches(REPO, 100)
    assert found[0] == "trunk"
    assert sorted(found[1:]) == ["main", "v2"]


async def test_a_long_list_is_cut_to_the_limit(emulators: Emulators, setup: Setup) -> None:
    forge = setup(emulators, [n for n in NAMES if n != "trunk"])
    found = await forge.list_branches(REPO, 100)
    assert len(found) == 100
    assert found[0] == "trunk"
    assert len(set(found)) == 100


async def test_an_unknown_repository_is_refused(emulators: Emulators, setup: Setup) -> None:
    forge = setup(emulators, [])
    with pytest.raises(UpstreamRejected):
        await forge.list_branches("acme/nothing", 100)


async def test_only_the_pages_needed_are_read(emulators: Emulators) -> None:
    forge = github(emulators, [n for n in NAMES if n != "trunk"])
    await forge.list_branches(REPO, 20)
    pages = emulators.github.requests_to("GET", rf"^/repos/{REPO}/branches")
    assert len(pages) == 1  # 100 a page: the first has the 19 others wanted
