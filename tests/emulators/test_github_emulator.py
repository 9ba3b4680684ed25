"""The GitHub emulator, driven by PyGithub over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, Github, GithubException, GithubIntegration, UnknownObjectException
from github.IssueComment import IssueComment

from tests.emulators import GitHubEmulator

REPO = "acme/api"
HEAD = "a" * 40


@pytest.fixture(scope="module")
def server() -> Iterator[GitHubEmulator]:
    with GitHubEmulator(token="ghp-emulated", bot_login="opsbot") as emulator:
        yield emulator


@pytest.fixture
def github(server: GitHubEmulator) -> GitHubEmulator:
    server.reset()
    server.add_repo(REPO, default_branch="main")
    server.add_issue(REPO, 1, "Disk full", "on db-1", "octocat")
    server.add_issue(REPO, 2, "Add cache", "", "hubot", pull=True, head_sha=HEAD, head_ref="cache")
    return server


def client(url: str, auth: Auth.Auth, per_page: int = 30) -> Github:
    # PyGithub sleeps 0.25 s between requests and 1 s between writes by default.
    return Github(base_url=url, auth=auth, per_page=per_page, seconds_between_requests=0, seconds_between_writes=0)


@pytest.fixture
def gh(github: GitHubEmulator) -> Iterator[Github]:
    connection = client(github.url, Auth.Token("ghp-emulated"))
    yield connection
    connection.close()


def test_repository_issue_and_pull_request(github: GitHubEmulator, gh: Github) -> None:
    assert gh.get_user().login == "opsbot"
    repo = gh.get_repo(REPO)
    assert (repo.full_name, repo.default_branch, repo.owner.login) == (REPO, "main", "acme")
    issue = repo.get_issue(1)
    assert (issue.title, issue.body, issue.user.login, issue.pull_request) == ("Disk full", "on db-1", "octocat", None)
    assert repo.get_issue(2).pull_request is not None
    pull = repo.get_pull(2)
    assert (pull.head.sha, pull.head.ref, pull.base.ref, pull.user.login) == (HEAD, "cache", "main", "hubot")
    with pytest.raises(UnknownObjectException):
        repo.get_pull(1)
    with pytest.raises(UnknownObjectException) as caught:
        gh.get_repo("acme/missing")
    assert caught.value.data["message"] == "Not Found"


def test_comments_are_authored_by_the_bot_and_paginated(github: GitHubEmulator) -> None:
    paged = client(github.url, Auth.Token("ghp-emulated"), per_page=2)
    issue = paged.get_repo(REPO).get_issue(1)
    github.add_comment(REPO, 1, "@opsbot status", user="octocat")
    for n in range(4):
        issue.create_comment(f"update {n}")
    comments = list(issue.get_comments())
    assert [c.body for c in comments] == ["@opsbot status", "update 0", "update 1", "update 2", "update 3"]
    assert [c.user.login for c in comments] == ["octocat"] + ["opsbot"] * 4
    assert issue.get_comments().totalCount == 5
    pages = [r.query.get("page") for r in github.requests_to("GET", r"/issues/1/comments$")]
    assert pages[:3] == [None, "2", "3"]
    assert [c["body"] for c in github.comments(REPO, 1)][-1] == "update 3"
    paged.close()


def test_edit_and_delete_a_comment(github: GitHubEmulator, gh: Github) -> None:
    comment = gh.get_repo(REPO).get_issue(1).create_comment("<!-- opsbot:todos -->\n- [ ] [Ops] one")
    comment.edit("<!-- opsbot:todos -->\n- [x] [Ops] one")
    assert github.comments(REPO, 1)[0]["body"].endswith("[x] [Ops] one")
    with pytest.raises(GithubException) as caught:
        comment.edit("x" * 65537)
    assert caught.value.status == 422
    comment.delete()
    assert github.comments(REPO, 1) == []
    with pytest.raises(UnknownObjectException):
        gh.get_repo(REPO).get_issue(1).get_comment(comment.id)


def test_a_repeated_reaction_answers_200_with_the_same_reaction(github: GitHubEmulator, gh: Github) -> None:
    comment: IssueComment = gh.get_repo(REPO).get_issue(1).create_comment("hello")
    first = comment.create_reaction("eyes")
    again = comment.create_reaction("eyes")
    assert (first.id, first.content, first.user.login) == (again.id, "eyes", "opsbot")
    assert [r.status for r in github.requests_to("POST", r"/reactions$")] == [201, 200]
    gh.get_repo(REPO).get_issue(1).create_reaction("rocket")
    assert [r.content for r in gh.get_repo(REPO).get_issue(1).get_reactions()] == ["rocket"]
    with pytest.raises(GithubException) as caught:
        comment.create_reaction("thumbsup")
    assert caught.value.status == 422


def test_collaborator_permission(github: GitHubEmulator, gh: Github) -> None:
    github.set_permission(REPO, "octocat", "write")
    github.set_permission(REPO, "boss", "admin")
    github.set_permission(REPO, "stranger", "none")
    repo = gh.get_repo(REPO)
    assert [repo.get_collaborator_permission(u) for u in ("octocat", "boss", "stranger")] == ["write", "admin", "none"]
    with pytest.raises(UnknownObjectException):
        repo.get_collaborator_permission("nobody-at-all")


def test_deployments_and_their_statuses(github: GitHubEmulator, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    deployment = repo.create_deployment(
        ref="cache", environment="staging", payload={"requested_by": "U_ALICE"}, required_contexts=[]
    )
    assert (deployment.sha, deployment.environment, deployment.creator.login) == (HEAD, "staging", "opsbot")
    deployment.create_status("in_progress", description="rolling out")
    deployment.create_status("success", environment_url="https://staging.example.com")
    assert [s.state for s in repo.get_deployment(deployment.id).get_statuses()] == ["success", "in_progress"]
    repo.create_deployment(ref="main", environment="production", required_contexts=[])
    assert [d.environment for d in repo.get_deployments()] == ["production", "staging"]
    assert [d.id for d in repo.get_deployments(environment="staging")] == [deployment.id]
    assert github.deployments(REPO)[0]["payload"] == {"requested_by": "U_ALICE"}
    with pytest.raises(GithubException) as caught:
        repo.create_deployment(ref="no-such-branch", required_contexts=[])
    assert caught.value.status == 422
    with pytest.raises(GithubException):
        deployment.create_status("done")


def test_issues_with_labels_and_state(github: GitHubEmulator, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    todo = repo.create_issue(title="[Ops] rotate keys", body="from Slack", labels=["ops-todo"])
    assert (todo.number, todo.user.login, [x.name for x in todo.labels]) == (3, "opsbot", ["ops-todo"])
    todo.add_to_labels("blocked")
    assert github.issue(REPO, 3)["labels"] == ["ops-todo", "blocked"]
    todo.remove_from_labels("blocked")
    with pytest.raises(GithubException) as caught:  # a 404 whose message is not "Not Found"
        todo.remove_from_labels("blocked")
    assert (caught.value.status, caught.value.data["message"]) == (404, "Label does not exist")
    todo.edit(state="closed")
    assert github.issue(REPO, 3)["state"] == "closed"
    assert [i.number for i in repo.get_issues(state="all", labels=["ops-todo"])] == [3]
    assert [i.number for i in repo.get_issues()] == [2, 1]  # open ones, pull requests included


def test_commit_checks_and_combined_status(github: GitHubEmulator, gh: Github) -> None:
    github.add_check_run(REPO, HEAD, "build")
    github.add_check_run(REPO, HEAD, "lint", status="in_progress", conclusion=None)
    github.add_status(REPO, HEAD, "ci/tests", "pending")
    commit = gh.get_repo(REPO).get_commit(HEAD)
    assert [(r.name, r.conclusion) for r in commit.get_check_runs()] == [("build", "success"), ("lint", None)]
    assert commit.get_combined_status().state == "pending"
    github.add_status(REPO, HEAD, "ci/tests", "failure")
    assert commit.get_combined_status().state == "failure"


def test_bad_credentials(github: GitHubEmulator) -> None:
    wrong = client(github.url, Auth.Token("ghp-wrong"))
    with pytest.raises(BadCredentialsException) as caught:
        wrong.get_repo(REPO)
    assert caught.value.data["message"] == "Bad credentials"
    wrong.close()


def test_github_app_installation_tokens(github: GitHubEmulator) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    app = Auth.AppAuth(12345, pem.decode())
    integration = GithubIntegration(base_url=github.url, auth=app)
    installation = integration.get_repo_installation("acme", "api")
    assert installation.id == github.installation_id
    as_app = client(github.url, app.get_installation_auth(installation.id))
    assert as_app.get_repo(REPO).get_issue(1).create_comment("from the app").user.login == "opsbot"
    minted = github.requests_to("POST", r"^/app/installations/1/access_tokens$")
    assert minted[0].headers["authorization"].startswith("Bearer ")
    assert github.requests_to("POST", r"/issues/1/comments$")[0].headers["authorization"].startswith("token ghs_")
    as_app.close()
    integration.close()


def test_server_errors_are_retried_by_pygithub(github: GitHubEmulator, gh: Github) -> None:
    github.fail_next("GET", r"^/repos/acme/api$", 502)
    assert gh.get_repo(REPO).full_name == REPO
    assert [r.status for r in github.requests_to("GET", r"^/repos/acme/api$")] == [502, 200]
    # A POST is retried too: harmless when the failed attempt had no effect...
    github.fail_next("POST", r"/issues/1/comments$", 502)
    issue = gh.get_repo(REPO).get_issue(1)
    issue.create_comment("once")
    assert [c["body"] for c in github.comments(REPO, 1)] == ["once"]
    # ...a duplicate when the gateway failed after the comment was made.
    github.fail_next("POST", r"/issues/1/comments$", 502, after_effect=True)
    issue.create_comment("twice")
    assert [c["body"] for c in github.comments(REPO, 1)] == ["once", "twice", "twice"]


def test_rate_limit_with_retry_after_is_waited_out(github: GitHubEmulator, gh: Github) -> None:
    github.fail_next("GET", r"/issues/1$", 429, headers={"Retry-After": "0"})
    assert gh.get_repo(REPO).get_issue(1).title == "Disk full"
    assert [r.status for r in github.requests_to("GET", r"/issues/1$")] == [429, 200]
    no_retry = Github(base_url=github.url, auth=Auth.Token("ghp-emulated"), retry=None, lazy=True)
    github.fail_next("GET", r"/issues/1$", 429, headers={"Retry-After": "0"})
    with pytest.raises(GithubException) as caught:
        _ = no_retry.get_repo(REPO).get_issue(1).title
    assert caught.value.status == 429
    no_retry.close()


def test_a_held_comment_exists_before_its_reply_arrives(github: GitHubEmulator, gh: Github) -> None:
    issue = gh.get_repo(REPO).get_issue(1)
    handle = github.hold("POST", r"/issues/1/comments$")
    created: list[IssueComment] = []
    worker = threading.Thread(target=lambda: created.append(issue.create_comment("tracking")))
    worker.start()
    assert handle.wait_reached(5)
    assert [c["body"] for c in github.comments(REPO, 1)] == ["tracking"]
    assert created == []
    handle.release()
    worker.join(5)
    assert created[0].id == github.comments(REPO, 1)[0]["id"]


def test_over_long_titles_bodies_and_labels_are_refused_like_github(github: GitHubEmulator, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    for fields in ({"title": "t" * 257}, {"title": "t", "body": "b" * 65_537}, {"title": "t", "labels": ["l" * 51]}):
        with pytest.raises(GithubException) as caught:
            repo.create_issue(**fields)
        assert caught.value.status == 422
    issue = repo.create_issue(title="t" * 256, body="b" * 65_536, labels=["l" * 50])
    with pytest.raises(GithubException) as caught:
        issue.edit(title="t" * 257)
    assert caught.value.status == 422
    with pytest.raises(GithubException) as caught:
        issue.create_comment("c" * 65_537)
    assert caught.value.status == 422
