"""[Ops] todos mirrored where people work, and read back when they tick a box or close an issue.

The agent's lists come from the Anthropic emulator's scripted ``update_todos``
calls; people's ticks and closes arrive as webhooks built from the real
GitHub and GitLab payloads in shared/fixtures, and the forges are the
emulators, driven by PyGithub and python-gitlab.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from bot.model import GitHubThread, GitLabThread, SlackThread
from bot.stores import keys
from bot.todos.lists import Todo
from tests import fixtures
from tests.emulators import text, tool_use
from tests.harness import BotUnderTest, Emulators, bot_env, event_callback

API = "acme/api"
OPS = "acme/ops"
ANSWER = "**Summary**: Planned.\n**Approach**: Listed the steps.\n**Remember**: null"
PLAN = [
    {"content": "Drain node pool", "status": "in_progress"},
    {"content": "Upgrade kubelet", "status": "pending"},
    {"content": "Rotate certs", "status": "blocked", "blocked_reason": "CA approval pending"},
]
ISSUES_CONFIG = """
services:
  api: {github: acme/api, environments: [staging]}
  web: {gitlab: acme/web, environments: [staging]}
environments:
  staging: {}
todos:
  mirror: issues
  repo: acme/ops
"""


def bot_for(redis_url: str, emulators: Emulators, **env: str) -> BotUnderTest:
    emulators.github.add_repo(API)
    emulators.github.add_repo(OPS)
    emulators.github.set_permission(API, "octocat", "write")
    emulators.github.set_permission(OPS, "octocat", "write")
    emulators.github.set_permission(API, "mallory", "read")
    emulators.github.set_permission(OPS, "mallory", "read")
    emulators.gitlab.add_project("acme/web", id=77)
    emulators.gitlab.set_access_level(77, "jdoe", 30)  # Developer
    emulators.gitlab.set_access_level(77, "guest", 10)
    return BotUnderTest(bot_env(redis_url, emulators, agent=True, **env))


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    async with bot_for(redis_url, emulators) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


@pytest.fixture
async def issues_bot(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    config = tmp_path / "ops.yaml"
    config.write_text(ISSUES_CONFIG)
    async with bot_for(redis_url, emulators, OPSBOT_CONFIG=str(config)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


# -- webhooks, from the real payloads ---------------------------------------------------------


def pr_comment(emulators: Emulators, body: str, number: int, login: str = "octocat") -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_pull_request.json"))
    payload["repository"]["full_name"] = API
    payload["issue"]["number"] = number
    payload["comment"].update(body=body, id=emulators.github.add_comment(API, number, body, user=login))
    payload["comment"]["user"]["login"] = login
    return payload


def comment_edited(
    repo: str, number: int, edited: dict[str, Any], previous: str, editor: str, at: str | None = None
) -> dict[str, Any]:
    """GitHub's issue_comment "edited": ``sender`` is who edited; ``comment.user`` who wrote it."""
    kind = "on_issue" if repo == OPS else "on_pull_request"
    payload: dict[str, Any] = copy.deepcopy(fixtures.load(f"github/issue_comment.created.{kind}.json"))
    payload["action"] = "edited"
    payload["changes"] = {"body": {"from": previous}}
    payload["repository"]["full_name"] = repo
    payload["issue"]["number"] = number
    payload["comment"].update(id=edited["id"], body=edited["body"], updated_at=at or edited["updated_at"])
    payload["comment"]["user"]["login"] = edited["user"]
    payload["sender"]["login"] = editor
    return payload


def issue_state_event(repo: str, issue: dict[str, Any], actor: str, at: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issues.opened.json"))
    payload["action"] = "closed" if issue["state"] == "closed" else "reopened"
    payload["repository"]["full_name"] = repo
    payload["issue"].update(
        number=issue["number"], body=issue["body"], state=issue["state"], updated_at=at or issue["updated_at"]
    )
    payload["sender"]["login"] = actor
    return payload


def mr_note(emulators: Emulators, body: str, iid: int) -> dict[str, Any]:
    note: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    note["project"]["path_with_namespace"] = "acme/web"
    note["merge_request"]["iid"] = iid
    note["user"]["username"] = "jdoe"
    note["object_attributes"].update(note=body, id=emulators.gitlab.add_note(77, "merge_requests", iid, body))
    return note


def slack_mention(emulators: Emulators, words: str) -> bytes:
    said = f"<@{emulators.slack.bot_user_id}> {words}"
    ts = emulators.slack.add_message("C_OPS", said)
    mention = {"type": "app_mention", "user": "U_ALICE", "text": said, "ts": ts, "event_ts": ts, "channel": "C_OPS"}
    return event_callback(mention)


def note_edited(iid: int, edited: dict[str, Any], editor: str) -> dict[str, Any]:
    """GitLab 16.11+ sends a Note Hook with action "update" when a note is edited."""
    note: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    note["project"]["path_with_namespace"] = "acme/web"
    note["merge_request"]["iid"] = iid
    note["user"]["username"] = editor
    note["object_attributes"].update(
        id=edited["id"], note=edited["body"], action="update", updated_at=edited["updated_at"]
    )
    return note


def gitlab_issue_event(issue: dict[str, Any], actor: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/issue_hook.json"))
    payload["project"]["path_with_namespace"] = "acme/web"
    payload["user"]["username"] = actor
    payload["object_attributes"].update(
        iid=issue["iid"],
        description=issue["description"],
        state=issue["state"],
        action="close" if issue["state"] == "closed" else "reopen",
        updated_at=issue["updated_at"],
    )
    return payload


# -- reading what the forges show --------------------------------------------------------------


def tracking_comments(emulators: Emulators, repo: str, number: int) -> list[dict[str, Any]]:
    return [c for c in emulators.github.comments(repo, number) if "<!-- opsbot:todos -->" in c["body"]]


def todo_issues(emulators: Emulators, repo: str) -> list[dict[str, Any]]:
    return [i for i in emulators.github.issues(repo) if "<!-- opsbot:todo " in (i["body"] or "")]


def tick(body: str, content: str, ticked: bool = True) -> str:
    before, after = ("- [ ] ", "- [x] ") if ticked else ("- [x] ", "- [ ] ")
    assert before + content in body, body
    return body.replace(before + content, after + content, 1)


async def plan_on_pr(bot: BotUnderTest, emulators: Emulators, number: int, todos: list[dict[str, Any]]) -> None:
    emulators.anthropic.script([tool_use("update_todos", {"todos": todos}), text(ANSWER)])
    await bot.github("issue_comment", pr_comment(emulators, "@opsbot plan the node upgrade", number))
    await bot.run_jobs()


async def stored(bot: BotUnderTest, place: Any) -> dict[str, str]:
    return {t.content: t.status for t in await bot.runtime.todos.current(place)}


# -- checklist mode ----------------------------------------------------------------------------


async def test_a_writer_ticking_a_box_completes_the_todo_and_later_lists_keep_it(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    emulators.github.add_issue(API, 40, "Node upgrade", pull=True)
    await plan_on_pr(bot, emulators, 40, PLAN)
    [comment] = tracking_comments(emulators, API, 40)
    assert "- [ ] [Ops] Rotate certs (BLOCKED - CA approval pending)" in comment["body"]

    edited = emulators.github.edit_comment(comment["id"], tick(comment["body"], "[Ops] Drain node pool"))
    response = await bot.github("issue_comment", comment_edited(API, 40, edited, comment["body"], "octocat"))
    assert response.status_code == 202
    await bot.run_jobs()

    place = GitHubThread(API, 40, is_pull_request=True)
    assert (await stored(bot, place))["[Ops] Drain node pool"] == "completed"
    [rewritten] = tracking_comments(emulators, API, 40)
    assert "- [x] [Ops] Drain node pool (done by github:octocat)" in rewritten["body"]
    assert "1 of 3 done" in rewritten["body"]

    # The agent, not having seen the tick, sends its old view again: the person's tick stands.
    await plan_on_pr(bot, emulators, 40, PLAN)
    briefing = emulators.anthropic.bodies()[-2]["messages"][0]["content"][0]["text"]
    assert re.search(r'kind="todos">\n(.|\n)*- \[x\] \[Ops\] Drain node pool \(done by github:octocat\)', briefing)
    assert (await stored(bot, place))["[Ops] Drain node pool"] == "completed"
    # Once the agent reports news about that todo, the news wins.
    later = [dict(PLAN[0], status="blocked", blocked_reason="PDB blocks eviction"), *PLAN[1:]]
    await plan_on_pr(bot, emulators, 40, later)
    assert (await stored(bot, place))["[Ops] Drain node pool"] == "blocked"
    assert len(tracking_comments(emulators, API, 40)) == 1

    await bot.github("issue_comment", pr_comment(emulators, "@opsbot todos", 40, login="hubot"))
    await bot.run_jobs()
    shown = emulators.github.comments(API, 40)[-1]["body"]
    assert shown.startswith("**[Ops] todos here** (0 of 3 done)")
    assert "- [ ] [Ops] Drain node pool (BLOCKED - PDB blocks eviction)" in shown


async def test_someone_without_write_access_changes_nothing(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 41, "Node upgrade", pull=True)
    await plan_on_pr(bot, emulators, 41, PLAN)
    [comment] = tracking_comments(emulators, API, 41)

    edited = emulators.github.edit_comment(comment["id"], tick(comment["body"], "[Ops] Upgrade kubelet"))
    await bot.github("issue_comment", comment_edited(API, 41, edited, comment["body"], "mallory"))
    await bot.run_jobs()

    place = GitHubThread(API, 41, is_pull_request=True)
    assert (await stored(bot, place))["[Ops] Upgrade kubelet"] == "pending"
    [restored] = tracking_comments(emulators, API, 41)
    assert "- [ ] [Ops] Upgrade kubelet" in restored["body"]  # the tick was put back


async def test_out_of_order_and_duplicate_edits_settle_on_the_newest(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 42, "Node upgrade", pull=True)
    await plan_on_pr(bot, emulators, 42, PLAN)
    [comment] = tracking_comments(emulators, API, 42)
    ticked = tick(comment["body"], "[Ops] Upgrade kubelet")
    unticked = tick(ticked, "[Ops] Upgrade kubelet", ticked=False)
    first = emulators.github.edit_comment(comment["id"], ticked)
    second = emulators.github.edit_comment(comment["id"], unticked)
    older = comment_edited(API, 42, first, comment["body"], "octocat", at="2026-11-25T10:00:00Z")
    newer = comment_edited(API, 42, second, ticked, "octocat", at="2026-11-25T10:00:05Z")

    assert (await bot.github("issue_comment", newer, delivery="d-newer")).status_code == 202
    assert (await bot.github("issue_comment", older, delivery="d-older")).status_code == 202
    assert (await bot.github("issue_comment", older, delivery="d-older")).json()["message"] == "already received"
    await bot.run_jobs()

    place = GitHubThread(API, 42, is_pull_request=True)
    assert (await stored(bot, place))["[Ops] Upgrade kubelet"] == "pending"  # the newer untick wins
    assert len(tracking_comments(emulators, API, 42)) == 1


async def test_opsbots_own_edits_are_not_read_back(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 43, "Node upgrade", pull=True)
    await plan_on_pr(bot, emulators, 43, PLAN)
    [comment] = tracking_comments(emulators, API, 43)
    ours = comment_edited(API, 43, comment, "old", "opsbot")
    response = await bot.github("issue_comment", ours)
    assert response.json()["message"].startswith("ignored")


async def test_two_workers_publishing_at_once_make_one_tracking_comment(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    emulators.github.add_issue(API, 44, "Node upgrade", pull=True)
    place = GitHubThread(API, 44, is_pull_request=True)
    todos = [Todo("[Ops] Drain node pool", "pending")]
    again = [Todo("[Ops] Drain node pool", "in_progress")]
    await asyncio.gather(bot.runtime.todos.agent_list(place, todos), bot.runtime.todos.agent_list(place, again))
    assert len(tracking_comments(emulators, API, 44)) == 1


async def test_a_gitlab_developer_ticks_a_note_and_a_guest_cannot(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.gitlab.add_merge_request(77, 8, "Node upgrade")
    emulators.anthropic.script([tool_use("update_todos", {"todos": PLAN}), text(ANSWER)])
    await bot.gitlab("Note Hook", mr_note(emulators, "@opsbot plan the node upgrade", 8))
    await bot.run_jobs()
    [note] = [n for n in emulators.gitlab.notes(77, "merge_requests", 8) if "<!-- opsbot:todos -->" in n["body"]]
    place = GitLabThread("acme/web", 8, "merge_request")

    edited = emulators.gitlab.edit_note(note["id"], tick(note["body"], "[Ops] Upgrade kubelet"))
    await bot.gitlab("Note Hook", note_edited(8, edited, "guest"))
    await bot.run_jobs()
    assert (await stored(bot, place))["[Ops] Upgrade kubelet"] == "pending"

    edited = emulators.gitlab.edit_note(note["id"], tick(note["body"], "[Ops] Drain node pool"))
    await bot.gitlab("Note Hook", note_edited(8, edited, "jdoe"))
    await bot.run_jobs()
    assert (await stored(bot, place))["[Ops] Drain node pool"] == "completed"
    [now] = [n for n in emulators.gitlab.notes(77, "merge_requests", 8) if "<!-- opsbot:todos -->" in n["body"]]
    assert "- [x] [Ops] Drain node pool (done by gitlab:jdoe)" in now["body"]
    assert "- [ ] [Ops] Upgrade kubelet" in now["body"]


async def test_a_slack_thread_is_mirrored_to_the_todos_repo(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.anthropic.script([tool_use("update_todos", {"todos": PLAN}), text(ANSWER)])
    await bot.slack(slack_mention(emulators, "plan the node upgrade"), content_type="application/json")
    await bot.run_jobs()

    in_thread = [m for m in emulators.slack.messages("C_OPS") if "todos" in m["text"] and "Drain" in m["text"]]
    assert len(in_thread) == 1  # the thread shows the list in one message
    [home] = [i for i in emulators.github.issues(OPS) if "<!-- opsbot:todo-thread " in (i["body"] or "")]
    assert home["labels"] == ["ops-todo"]
    [comment] = tracking_comments(emulators, OPS, home["number"])
    assert "- [ ] [Ops] Rotate certs (BLOCKED - CA approval pending)" in comment["body"]

    # A tick in the repo changes the Slack thread's list.
    edited = emulators.github.edit_comment(comment["id"], tick(comment["body"], "[Ops] Drain node pool"))
    await bot.github("issue_comment", comment_edited(OPS, home["number"], edited, comment["body"], "octocat"))
    await bot.run_jobs()
    [asked] = [m for m in emulators.slack.messages("C_OPS") if m["text"].endswith("plan the node upgrade")]
    thread = SlackThread("C_OPS", asked["ts"])
    assert (await stored(bot, thread))["[Ops] Drain node pool"] == "completed"
    [updated] = [m for m in emulators.slack.messages("C_OPS") if "Drain node pool" in m["text"]]
    assert "done by github:octocat" in updated["text"]


async def test_a_tracking_comment_stays_under_githubs_limit(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 45, "Big plan", pull=True)
    place = GitHubThread(API, 45, is_pull_request=True)
    many = [Todo(f"[Ops] Step {n} " + "x" * 280, "completed" if n % 2 else "pending") for n in range(50)]
    await bot.runtime.todos.agent_list(place, many)
    await bot.runtime.todos.agent_list(place, many * 5)  # more than a comment can hold
    [comment] = tracking_comments(emulators, API, 45)
    assert len(comment["body"]) <= 65_536
    assert comment["body"].startswith("<!-- opsbot:todos -->\n**[Ops] todos**")


# -- issues mode -------------------------------------------------------------------------------


async def test_issues_mode_keeps_one_issue_per_todo_in_step(
    issues_bot: BotUnderTest, emulators: Emulators, redis_client: redis.Redis
) -> None:
    emulators.github.add_issue(API, 50, "Node upgrade", pull=True)
    await plan_on_pr(issues_bot, emulators, 50, PLAN)

    issues = {i["title"]: i for i in todo_issues(emulators, API)}
    assert sorted(issues) == ["[Ops] Drain node pool", "[Ops] Rotate certs", "[Ops] Upgrade kubelet"]
    assert all("ops-todo" in i["labels"] for i in issues.values())
    blocked = issues["[Ops] Rotate certs"]
    assert sorted(blocked["labels"]) == ["blocked", "ops-todo"]
    reasons = [c["body"] for c in emulators.github.comments(API, blocked["number"])]
    assert [r.split("\n")[0] for r in reasons] == ["⛔ Blocked: CA approval pending"]

    # Progress: one done, the blocked one unblocked. Its issue closes, the label goes.
    progress = [dict(PLAN[0], status="completed"), PLAN[1], {"content": "Rotate certs", "status": "in_progress"}]
    await plan_on_pr(issues_bot, emulators, 50, progress)
    issues = {i["title"]: i for i in todo_issues(emulators, API)}
    assert issues["[Ops] Drain node pool"]["state"] == "closed"
    assert issues["[Ops] Rotate certs"]["labels"] == ["ops-todo"]

    # It goes back: the issue reopens. Redis forgetting the issue numbers (a worker that died
    # right after creating them) still makes no second issue: they are found by their marker.
    async for key in redis_client.scan_iter(match=keys.MARK + "todo-issue*"):
        await redis_client.delete(key)
    back = [dict(PLAN[0], status="in_progress"), *progress[1:]]
    await plan_on_pr(issues_bot, emulators, 50, back)
    issues_now = todo_issues(emulators, API)
    assert len(issues_now) == 3
    assert {i["title"]: i["state"] for i in issues_now}["[Ops] Drain node pool"] == "open"


async def test_closing_a_todo_issue_completes_it_only_for_a_writer(
    issues_bot: BotUnderTest, emulators: Emulators
) -> None:
    emulators.github.add_issue(API, 51, "Node upgrade", pull=True)
    await plan_on_pr(issues_bot, emulators, 51, PLAN)
    place = GitHubThread(API, 51, is_pull_request=True)
    issues = {i["title"]: i for i in todo_issues(emulators, API)}

    closed = emulators.github.set_issue_state(API, issues["[Ops] Upgrade kubelet"]["number"], "closed")
    await issues_bot.github("issues", issue_state_event(API, closed, "mallory"))
    await issues_bot.run_jobs()
    assert (await stored(issues_bot, place))["[Ops] Upgrade kubelet"] == "pending"
    assert emulators.github.issue(API, closed["number"])["state"] == "open"  # reopened by opsbot

    closed = emulators.github.set_issue_state(API, issues["[Ops] Drain node pool"]["number"], "closed")
    await issues_bot.github("issues", issue_state_event(API, closed, "octocat"))
    await issues_bot.run_jobs()
    assert (await stored(issues_bot, place))["[Ops] Drain node pool"] == "completed"
    [comment] = tracking_comments(emulators, API, 51)
    assert "- [x] [Ops] Drain node pool (done by github:octocat)" in comment["body"]
    assert emulators.github.issue(API, closed["number"])["state"] == "closed"

    # An issue someone wrote a marker into by hand is not one of opsbot's.
    forged_body = issues["[Ops] Rotate certs"]["body"]
    emulators.github.add_issue(API, 99, "[Ops] Rotate certs", forged_body)
    forged = emulators.github.set_issue_state(API, 99, "closed")
    await issues_bot.github("issues", issue_state_event(API, forged, "octocat"))
    await issues_bot.run_jobs()
    assert (await stored(issues_bot, place))["[Ops] Rotate certs"] == "blocked"


async def test_issues_mode_on_gitlab(issues_bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.gitlab.add_merge_request(77, 9, "Node upgrade")
    emulators.anthropic.script([tool_use("update_todos", {"todos": PLAN}), text(ANSWER)])
    await issues_bot.gitlab("Note Hook", mr_note(emulators, "@opsbot plan the node upgrade", 9))
    await issues_bot.run_jobs()

    issues = {i["title"]: i for i in emulators.gitlab.issues(77) if "<!-- opsbot:todo " in i["description"]}
    assert sorted(issues) == ["[Ops] Drain node pool", "[Ops] Rotate certs", "[Ops] Upgrade kubelet"]
    assert sorted(issues["[Ops] Rotate certs"]["labels"]) == ["blocked", "ops-todo"]
    notes = [n["body"] for n in emulators.gitlab.notes(77, "issues", issues["[Ops] Rotate certs"]["iid"])]
    assert [n.split("\n")[0] for n in notes] == ["⛔ Blocked: CA approval pending"]

    closed = emulators.gitlab.set_issue_state(77, issues["[Ops] Upgrade kubelet"]["iid"], closed=True)
    await issues_bot.gitlab("Issue Hook", gitlab_issue_event(closed, "jdoe"))
    await issues_bot.run_jobs()
    place = GitLabThread("acme/web", 9, "merge_request")
    assert (await stored(issues_bot, place))["[Ops] Upgrade kubelet"] == "completed"


async def test_issues_mode_from_slack_goes_to_the_todos_repo(issues_bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.anthropic.script([tool_use("update_todos", {"todos": PLAN}), text(ANSWER)])
    await issues_bot.slack(slack_mention(emulators, "plan the node upgrade"), content_type="application/json")
    await issues_bot.run_jobs()
    assert sorted(i["title"] for i in todo_issues(emulators, OPS)) == [
        "[Ops] Drain node pool",
        "[Ops] Rotate certs",
        "[Ops] Upgrade kubelet",
    ]
    assert all("Slack thread" in i["body"] for i in todo_issues(emulators, OPS))
