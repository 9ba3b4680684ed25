"""The sandbox forge: refs as a forge resolves them, the same commits every run, deployments handed to the CD."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.deploys.model import NewDeployment
from bot.errors import UpstreamRejected
from bot.model import ConsoleThread, Person
from handlers.sandbox.cd import SandboxCD
from handlers.sandbox.forge import DEFAULT_BRANCH, FAILING_BRANCH, REFS, SandboxForge, commit, sandbox_forges

REPO = "acme/api"
SHELL = Person("console", "U_SHELL")


def forge() -> tuple[SandboxForge, SandboxCD]:
    cd = SandboxCD()
    return SandboxForge("github", cd), cd


def new(ref: str, repo: str = REPO) -> NewDeployment:
    return NewDeployment(repo, ref, commit(repo, ref), "staging", "api", SHELL, False, ConsoleThread("C_SHELL"))


async def test_no_ref_is_the_default_branch_and_each_ref_has_its_one_commit() -> None:
    sandbox, _ = forge()
    assert await sandbox.resolve(REPO, None) == (DEFAULT_BRANCH, commit(REPO, DEFAULT_BRANCH))
    for ref in REFS:
        assert await sandbox.resolve(REPO, ref) == (ref, commit(REPO, ref))
    commits = {commit(repo, ref) for repo in (REPO, "acme/web") for ref in REFS}
    assert len(commits) == 2 * len(REFS)  # no two refs of any two repositories share a commit


@given(st.sampled_from(REFS), st.integers(7, 40))
async def test_a_commit_prefix_people_copy_resolves_to_the_whole_commit(ref: str, length: int) -> None:
    sandbox, _ = forge()
    prefix = commit(REPO, ref)[:length]
    assert await sandbox.resolve(REPO, prefix) == (prefix, commit(REPO, ref))


@given(st.text(min_size=1, max_size=50))
async def test_anything_else_is_not_found_as_a_forge_answers(ref: str) -> None:
    sandbox, _ = forge()
    known = ref in REFS or any(len(ref) >= 7 and commit(REPO, r).startswith(ref) for r in REFS)
    if known:
        return
    with pytest.raises(UpstreamRejected) as refused:
        await sandbox.resolve(REPO, ref)
    assert refused.value.status == 404
    # Outside text isn't repeated back: the core names the ref in its own words.
    assert refused.value.detail == f"{REPO} has no such branch, tag or commit"


async def test_creating_hands_the_deployment_to_the_cd_and_broken_fails() -> None:
    sandbox, cd = forge()
    assert await sandbox.create(new(DEFAULT_BRANCH)) == ("1", None)
    assert await sandbox.create(new(FAILING_BRANCH)) == ("2", None)
    assert cd.planned() == [
        ("github:acme/api:1", "in_progress"), ("github:acme/api:1", "success"),
        ("github:acme/api:2", "in_progress"), ("github:acme/api:2", "failure"),
    ]  # fmt: skip


async def test_ci_fails_on_broken_and_nobody_pushes_to_the_sandbox() -> None:
    sandbox, _ = forge()
    [passing] = await sandbox.checks(REPO, commit(REPO, DEFAULT_BRANCH))
    [failing] = await sandbox.checks(REPO, commit(REPO, FAILING_BRANCH))
    assert (passing.state, failing.state) == ("success", "failure")
    assert await sandbox.may_push(REPO, SHELL) is False
    with pytest.raises(UpstreamRejected):
        await sandbox.change_head(REPO, 7)


def test_the_sandbox_stands_in_for_both_forges() -> None:
    assert sorted(sandbox_forges(SandboxCD())) == ["github", "gitlab"]
