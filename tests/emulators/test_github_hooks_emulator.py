"""The GitHub emulator's webhooks: deliveries sent as GitHub sends them, their log, and redeliveries."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from github import Auth, BadCredentialsException, Github, GithubException, GithubIntegration, UnknownObjectException
from github.HookDelivery import HookDeliverySummary
from github.PaginatedList import PaginatedList

from tests.bot.clients.test_github import app_key
from tests.emulators import GitHubEmulator
from tests.emulators.github_hooks import WebhookReceiver
from tests.redis_server import free_port

SECRET = "hook-secret"
REPO = "acme/api"


@pytest.fixture(scope="module")
def server() -> Iterator[GitHubEmulator]:
    with GitHubEmulator(token="ghp-emulated") as emulator:
        yield emulator


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiving:
        yield receiving


@pytest.fixture
def github(server: GitHubEmulator, receiver: WebhookReceiver) -> GitHubEmulator:
    server.reset()
    server.add_repo(REPO)
    server.app_hook(receiver.url, SECRET)
    return server


def app(url: str) -> GithubIntegration:
    return GithubIntegration(auth=Auth.AppAuth(4242, app_key()), base_url=url, seconds_between_writes=0)


def listed(integration: GithubIntegration, path: str, per_page: int) -> list[HookDeliverySummary]:
    return list(PaginatedList(HookDeliverySummary, integration.requester, path, {"per_page": per_page}))


def test_a_delivery_is_signed_recorded_and_listed_newest_first_page_by_page(
    github: GitHubEmulator, receiver: WebhookReceiver
) -> None:
    got = receiver
    sent = [github.deliver("issue_comment", {"action": "created", "n": n, "repository": {"id": 7}}) for n in range(5)]
    assert len(got.received) == 5
    headers, body = got.received[0]
    assert headers["x-github-event"] == "issue_comment"
    assert headers["x-github-delivery"] == sent[0]["guid"]
    assert headers["x-hub-signature-256"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (sent[0]["status_code"], sent[0]["status"]) == (202, "OK")
    assert (sent[0]["action"], sent[0]["repository_id"], sent[0]["installation_id"]) == ("created", 7, 1)

    integration = app(github.url)
    items = listed(integration, "/app/hook/deliveries", per_page=2)
    assert [i.guid for i in items] == [d["guid"] for d in reversed(sent)]
    assert all(i.status_code == 202 and i.redelivery is False and i.delivered_at is not None for i in items)
    pages = github.requests_to("GET", r"^/app/hook/deliveries$")
    assert len(pages) == 3  # 2 + 2 + 1, following the Link header's cursor
    assert [p.query.get("cursor", "") != "" for p in pages] == [False, True, True]


def test_a_refused_delivery_is_redelivered_with_its_guid_and_recorded_as_a_redelivery(
    github: GitHubEmulator, receiver: WebhookReceiver
) -> None:
    got = receiver
    got.status = 503
    refused = github.deliver("issue_comment", {"action": "created"})
    assert (refused["status_code"], refused["status"]) == (503, "Invalid HTTP Response: 503")
    got.status = 202
    integration = app(github.url)
    status, _, _ = integration.requester.requestJson("POST", f"/app/hook/deliveries/{refused['id']}/attempts")
    assert status == 202
    github.redeliveries_sent()
    newest, first = github.deliveries()
    assert first == refused
    assert (newest["guid"], newest["redelivery"], newest["status_code"]) == (refused["guid"], True, 202)
    assert newest["id"] != refused["id"]
    assert got.received[-1][0]["x-github-delivery"] == refused["guid"]
    assert got.received[-1][1] == got.received[0][1]


def test_no_answer_is_recorded_without_a_status_code(github: GitHubEmulator) -> None:
    hook = github.repo_hook(REPO, f"http://127.0.0.1:{free_port()}/nobody", SECRET)
    failed = github.deliver("issue_comment", {"action": "created"}, hook=hook)
    assert (failed["status_code"], failed["status"]) == (0, "failed to connect to host")


def test_a_repository_hooks_log_is_what_pygithub_reads(github: GitHubEmulator, receiver: WebhookReceiver) -> None:
    hook = github.repo_hook(REPO, receiver.url, SECRET)
    sent = github.deliver("issue_comment", {"action": "created"}, hook=hook)
    with Github(base_url=github.url, auth=Auth.Token("ghp-emulated"), seconds_between_writes=0) as gh:
        [item] = list(gh.get_repo(REPO).get_hook_deliveries(github.hook_id(hook)))
        assert (item.id, item.guid, item.event) == (sent["id"], sent["guid"], "issue_comment")
        path = f"/repos/{REPO}/hooks/{github.hook_id(hook)}/deliveries/{sent['id']}/attempts"
        assert gh.requester.requestJson("POST", path)[0] == 202
    github.redeliveries_sent()
    assert [d["redelivery"] for d in github.deliveries(hook)] == [True, False]
    assert github.deliveries() == [], "the App's hook delivered nothing"


def test_what_github_refuses(github: GitHubEmulator) -> None:
    sent = github.deliver("issue_comment", {"action": "created"})
    integration = app(github.url)
    with pytest.raises(UnknownObjectException):
        integration.requester.requestJsonAndCheck("POST", "/app/hook/deliveries/999999/attempts")
    with Github(base_url=github.url, auth=Auth.Token("ghp-emulated")) as gh:
        with pytest.raises(GithubException) as refused:  # the App's own endpoints take a JWT, not a token
            gh.requester.requestJsonAndCheck("GET", "/app/hook/deliveries")
        assert refused.value.status == 401
        with pytest.raises(UnknownObjectException):
            gh.requester.requestJsonAndCheck("GET", f"/repos/{REPO}/hooks/424242/deliveries")
    repo_path = f"/repos/{REPO}/hooks/{github.hook_id()}/deliveries/{sent['id']}/attempts"
    with pytest.raises(BadCredentialsException):  # and a repository's take a token, not a JWT
        integration.requester.requestJsonAndCheck("POST", repo_path)
    assert len(github.deliveries()) == 1, "nothing was redelivered"
