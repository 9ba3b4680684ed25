"""The hook's delivery log and redeliveries through PyGithub, against the GitHub emulator over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.clients.github import GitHubConnector
from bot.clients.github_hooks import MAX_LISTED, GitHubHookDeliveries
from bot.errors import UpstreamRejected, UpstreamUnavailable
from tests.bot.clients.test_github import app_key
from tests.emulators import GitHubEmulator
from tests.emulators.github_hooks import WebhookReceiver
from tests.harness import Emulators

SECRET = "hook-secret"
REPO = "acme/api"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiving:
        yield receiving


@pytest.fixture
def github(emulators: Emulators, receiver: WebhookReceiver) -> GitHubEmulator:
    emulators.github.add_repo(REPO)
    emulators.github.app_hook(receiver.url, SECRET)
    return emulators.github


def as_app(github: GitHubEmulator) -> GitHubHookDeliveries:
    connector = GitHubConnector(github.url, app_id="4242", private_key=app_key(), write_interval=None)
    return GitHubHookDeliveries.of_app(connector)


def with_token(github: GitHubEmulator) -> GitHubConnector:
    return GitHubConnector(github.url, token=github.token, write_interval=None)


async def test_the_apps_log_is_read_newest_first_until_the_window_ends(github: GitHubEmulator) -> None:
    now = time.time()
    for n in range(150):  # one a minute, the newest last
        github.record_delivery(
            "issue_comment", {"action": "created"}, 503 if n % 2 else 202, at=now - 150 * 60 + n * 60
        )
    hooks = as_app(github)
    found = await hooks.recent(since=now - 30 * 60 - 30)  # GitHub stamps whole seconds
    logged = github.deliveries()
    assert [d.guid for d in found] == [d["guid"] for d in logged[:30]]
    assert [d.status_code for d in found[:2]] == [503, 202]
    assert found[0].delivered_at == pytest.approx(now - 60, abs=1)
    assert len(github.requests_to("GET", r"^/app/hook/deliveries$")) == 1, "read past the window"
    assert hooks.hook == "the GitHub App's webhook"


async def test_a_busy_hook_is_read_ten_pages_deep_at_most(github: GitHubEmulator) -> None:
    now = time.time()
    for n in range(MAX_LISTED + 50):
        github.record_delivery("issue_comment", {}, 503, at=now - n)
    found = await as_app(github).recent(since=now - 3600)
    assert len(found) == MAX_LISTED
    assert len(github.requests_to("GET", r"^/app/hook/deliveries$")) == 10


async def test_a_refused_delivery_is_redelivered_with_its_guid(
    github: GitHubEmulator, receiver: WebhookReceiver
) -> None:
    receiver.status = 503
    refused = github.deliver("issue_comment", {"action": "created"})
    receiver.status = 202
    await as_app(github).redeliver(refused["id"])
    github.redeliveries_sent()
    assert receiver.received[-1][0]["x-github-delivery"] == refused["guid"]
    assert github.deliveries()[0]["redelivery"] is True


async def test_github_refusing_or_failing_comes_out_in_opsbot_s_words(github: GitHubEmulator) -> None:
    hooks = as_app(github)
    with pytest.raises(UpstreamRejected) as gone:
        await hooks.redeliver(987654321)
    assert gone.value.status == 404
    github.fail_next("POST", r"/attempts$", 502)
    with pytest.raises(UpstreamUnavailable):
        await hooks.redeliver(987654321)
    github.fail_next("GET", r"^/app/hook/deliveries$", 429, headers={"retry-after": "7"})
    with pytest.raises(UpstreamUnavailable) as limited:
        await hooks.recent(since=0)
    assert limited.value.retry_after == 7


async def test_a_repository_or_organisation_hook_is_read_with_the_token(
    github: GitHubEmulator, receiver: WebhookReceiver
) -> None:
    repo_hook = github.repo_hook(REPO, receiver.url, SECRET)
    org_hook = github.org_hook("acme", receiver.url, SECRET)
    on_repo = github.deliver("issue_comment", {"action": "created"}, hook=repo_hook)
    on_org = github.deliver("issue_comment", {"action": "created"}, hook=org_hook)
    connector = with_token(github)
    repo = GitHubHookDeliveries.of_repo(connector, REPO, github.hook_id(repo_hook))
    org = GitHubHookDeliveries.of_org(connector, "acme", github.hook_id(org_hook))
    assert [d.id for d in await repo.recent(since=0)] == [on_repo["id"]]
    assert [d.id for d in await org.recent(since=0)] == [on_org["id"]]
    await repo.redeliver(on_repo["id"])
    await org.redeliver(on_org["id"])
    github.redeliveries_sent()
    assert [d["redelivery"] for d in github.deliveries(repo_hook)] == [True, False]
    assert [d["redelivery"] for d in github.deliveries(org_hook)] == [True, False]
    assert repo.hook == f"webhook {github.hook_id(repo_hook)} of {REPO}"
    with pytest.raises(UpstreamRejected):
        GitHubHookDeliveries.of_app(connector)  # a token is not the App
