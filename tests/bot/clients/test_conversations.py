"""What the agent is shown of a thread, read by the real clients from the emulators."""

from __future__ import annotations

import pytest

from bot.conversation.readers import MAX_CHECKS, MAX_POSTS, Check, Post
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.model import GitHubThread, GitLabThread, Platform, SlackThread
from bot.settings import Settings
from handlers.app import Integrations, build_integrations
from tests.harness import Emulators, bot_env

API, WEB, WEB_ID = "acme/api", "acme/web", 77
HEAD = "c" * 40


@pytest.fixture
def clients(emulators: Emulators) -> Integrations:
    return build_integrations(Settings.from_env(bot_env(None, emulators)))


async def test_a_github_pull_request(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    emulators.github.add_issue(
        API, 7, "Faster login", "Caches sessions.", pull=True, head_sha=HEAD, head_ref="login", files=("a.py", "b.py")
    )
    emulators.github.add_check_run(API, HEAD, "unit", conclusion="failure")
    emulators.github.add_check_run(API, HEAD, "lint", status="in_progress", conclusion=None)
    emulators.github.add_status(API, HEAD, "ci/jenkins", "success")
    emulators.github.add_comment(API, 7, "looks good", user="bob")
    emulators.github.add_comment(API, 7, "deploy preview ready", user="preview[bot]")
    asking = emulators.github.add_comment(API, 7, "@opsbot is this ready?", user="carol")

    found = await clients.readers["github"].conversation(
        GitHubThread(API, 7, is_pull_request=True), exclude=f"issue_comment:{asking}"
    )
    assert (found.kind, found.title, found.body) == ("pull request", "Faster login", "Caches sessions.")
    assert (found.head_ref, found.head_sha) == ("login", HEAD)
    assert found.changed_files == ("a.py", "b.py")
    assert found.checks == (
        Check("unit", "failure", found.checks[0].url),
        Check("lint", "in_progress", found.checks[1].url),
        Check("ci/jenkins", "success", None),
    )
    assert found.posts == (Post("github:bob", "looks good"), Post("github:preview[bot]", "deploy preview ready", True))


async def test_a_github_issue_keeps_the_newest_comments(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    emulators.github.add_issue(API, 3, "Outage", "The api is down.")
    for n in range(MAX_POSTS + 10):
        emulators.github.add_comment(API, 3, f"update {n}")
    found = await clients.readers["github"].conversation(GitHubThread(API, 3, is_pull_request=False))
    assert found.kind == "issue"
    assert found.changed_files == ()
    assert [p.text for p in found.posts] == [f"update {n}" for n in range(10, MAX_POSTS + 10)]
    assert emulators.github.requests_to("GET", r"/pulls/") == []  # an issue is not asked for its files


async def test_a_gitlab_merge_request(clients: Integrations, emulators: Emulators) -> None:
    emulators.gitlab.add_project(WEB, id=WEB_ID)
    emulators.gitlab.add_merge_request(
        WEB_ID, 5, "Bump nginx", "Fixes CVE.", sha=HEAD, source_branch="nginx", files=("Dockerfile",)
    )
    emulators.gitlab.add_commit_status(WEB_ID, HEAD, "build", "success")
    emulators.gitlab.add_commit_status(WEB_ID, HEAD, "e2e", "failed")
    emulators.gitlab.add_note(WEB_ID, "merge_requests", 5, "changed the description", system=True)
    emulators.gitlab.add_note(WEB_ID, "merge_requests", 5, "needs a rebase", author="ann")
    emulators.gitlab.add_note(WEB_ID, "merge_requests", 5, "pipeline passed", author="project_77_bot_3f2a")
    asking = emulators.gitlab.add_note(WEB_ID, "merge_requests", 5, "@opsbot ready?", author="jdoe")

    found = await clients.readers["gitlab"].conversation(GitLabThread(WEB, 5, "merge_request"), exclude=str(asking))
    assert (found.kind, found.title, found.body, found.head_ref, found.head_sha) == (
        "merge request",
        "Bump nginx",
        "Fixes CVE.",
        "nginx",
        HEAD,
    )
    assert found.changed_files == ("Dockerfile",)
    assert [(c.name, c.state) for c in found.checks] == [("build", "success"), ("e2e", "failed")]
    assert found.posts == (
        Post("gitlab:ann", "needs a rebase"),
        Post("gitlab:project_77_bot_3f2a", "pipeline passed", True),
    )


async def test_a_gitlab_issue(clients: Integrations, emulators: Emulators) -> None:
    emulators.gitlab.add_project(WEB, id=WEB_ID)
    emulators.gitlab.add_issue(WEB_ID, 9, "Disk full on db-2", "Since 04:00.")
    found = await clients.readers["gitlab"].conversation(GitLabThread(WEB, 9, "issue"))
    assert (found.kind, found.title, found.body, found.checks) == ("issue", "Disk full on db-2", "Since 04:00.", ())


async def test_a_slack_thread(clients: Integrations, emulators: Emulators) -> None:
    root = emulators.slack.add_message("C_OPS", "api 500s since noon", user="U_BOB")
    emulators.slack.add_message("C_OPS", "rolled back web, not api", user="U_CAROL", thread_ts=root)
    emulators.slack.add_message("C_OPS", "deploy web#41 done", user="U_DEPLOYS", bot_id="B_DEPLOYS", thread_ts=root)
    asking = emulators.slack.add_message("C_OPS", "<@UBOT> what changed?", user="U_ALICE", thread_ts=root)
    found = await clients.readers["slack"].conversation(SlackThread("C_OPS", root), exclude=asking)
    assert found.kind == "Slack thread"
    assert found.posts == (
        Post("U_BOB", "api 500s since noon"),
        Post("U_CAROL", "rolled back web, not api"),
        Post("U_DEPLOYS", "deploy web#41 done", True),
    )
    assert (await clients.readers["slack"].conversation(SlackThread("C_OPS"))).posts == ()


async def test_a_failing_read_is_an_upstream_error(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    emulators.github.add_issue(API, 3, "Outage")
    emulators.github.fail_next("GET", r"/issues/3/comments", 502)
    with pytest.raises(UpstreamUnavailable):
        await clients.readers["github"].conversation(GitHubThread(API, 3, is_pull_request=False))


async def test_a_long_github_thread_is_read_from_its_last_pages(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    emulators.github.add_issue(API, 4, "Flaky deploys")
    for n in range(1005):  # eleven pages of 100, the last holding 5 comments and the question
        emulators.github.add_comment(API, 4, f"note {n}")
    asking = emulators.github.add_comment(API, 4, "@opsbot why?", user="carol")

    found = await clients.readers["github"].conversation(
        GitHubThread(API, 4, is_pull_request=False), exclude=f"issue_comment:{asking}"
    )
    assert [p.text for p in found.posts] == [f"note {n}" for n in range(1005 - MAX_POSTS, 1005)]
    read = emulators.github.requests_to("GET", r"/issues/4/comments$")
    assert sorted(r.query.get("page", "1") for r in read) == ["10", "11"]  # not the ten pages before


async def test_a_review_comment_does_not_hide_an_issue_comment(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    emulators.github.add_issue(API, 8, "Retry budget", pull=True)
    said = emulators.github.add_comment(API, 8, "the budget is 3", user="bob")
    found = await clients.readers["github"].conversation(
        GitHubThread(API, 8, is_pull_request=True),
        exclude=f"review_comment:{said}",  # same number, other kind
    )
    assert found.posts == (Post("github:bob", "the budget is 3"),)


async def test_gitlab_keeps_the_newest_notes_and_skips_system_ones(clients: Integrations, emulators: Emulators) -> None:
    emulators.gitlab.add_project(WEB, id=WEB_ID)
    emulators.gitlab.add_issue(WEB_ID, 2, "Slow builds")
    for n in range(MAX_POSTS + 5):
        emulators.gitlab.add_note(WEB_ID, "issues", 2, f"note {n}", author="ann")
        emulators.gitlab.add_note(WEB_ID, "issues", 2, "added ~ci label", system=True)
    found = await clients.readers["gitlab"].conversation(GitLabThread(WEB, 2, "issue"))
    assert [p.text for p in found.posts] == [f"note {n}" for n in range(5, MAX_POSTS + 5)]


async def test_a_long_slack_thread_keeps_its_newest_messages(clients: Integrations, emulators: Emulators) -> None:
    root = emulators.slack.add_message("C_OPS", "incident: api down", user="U_BOB")
    for n in range(250):  # two pages of 200
        emulators.slack.add_message("C_OPS", f"update {n}", user="U_CAROL", thread_ts=root)
    asking = emulators.slack.add_message("C_OPS", "<@UBOT> summary?", user="U_ALICE", thread_ts=root)

    found = await clients.readers["slack"].conversation(SlackThread("C_OPS", root), exclude=asking)
    assert [p.text for p in found.posts] == [f"update {n}" for n in range(250 - MAX_POSTS, 250)]
    assert len(emulators.slack.requests_to("GET", r"conversations\.replies$")) == 2


@pytest.mark.parametrize(
    ("platform", "status", "error"),
    [("slack", 503, UpstreamUnavailable), ("gitlab", 500, UpstreamUnavailable), ("gitlab", 404, UpstreamRejected)],
)
async def test_failing_reads_translate_like_other_calls(
    clients: Integrations, emulators: Emulators, platform: Platform, status: int, error: type[Exception]
) -> None:
    emulators.gitlab.add_project(WEB, id=WEB_ID)
    emulators.gitlab.add_issue(WEB_ID, 9, "Disk full")
    root = emulators.slack.add_message("C_OPS", "disk full", user="U_BOB")
    if platform == "slack":
        emulators.slack.fail_next("GET", r"conversations\.replies$", status)
        place: SlackThread | GitLabThread = SlackThread("C_OPS", root)
    else:
        emulators.gitlab.fail_next("GET", r"/issues/9/notes", status)
        place = GitLabThread(WEB, 9, "issue")
    with pytest.raises(error):
        await clients.readers[platform].conversation(place)


async def test_forge_checks_are_bounded(clients: Integrations, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    for n in range(MAX_CHECKS - 5):
        emulators.github.add_check_run(API, HEAD, f"job {n}")
    for n in range(10):
        emulators.github.add_status(API, HEAD, f"ci/{n}", "pending")
    found = await clients.forges["github"].checks(API, HEAD)
    assert len(found) == MAX_CHECKS
    assert found[-6:] == (Check("job 44", "success", found[-6].url), *(Check(f"ci/{n}", "pending") for n in range(5)))

    emulators.gitlab.add_project(WEB, id=WEB_ID)
    for n in range(MAX_CHECKS + 10):
        emulators.gitlab.add_commit_status(WEB_ID, HEAD, f"job {n}", "running")
    found = await clients.forges["gitlab"].checks(WEB, HEAD)
    assert [c.name for c in found] == [f"job {n}" for n in range(MAX_CHECKS)]
