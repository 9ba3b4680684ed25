"""The definition's todo shapes, end to end: sub-tasks on GitHub, GitLab and Slack, and another agent's prefix.

The agent's lists come from the Anthropic emulator's scripted ``update_todos`` calls; the
forges and Slack are the emulators, driven by the real client libraries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from bot.model import GitHubThread, GitLabThread, Place, SlackThread
from bot.todos.lists import every_item, parse_todos
from tests.emulators import text, tool_use
from tests.harness import BotUnderTest, Emulators, event_callback, slash_command_body
from tests.test_todos_end_to_end import (
    ANSWER,
    API,
    bot_for,
    comment_edited,
    mr_note,
    note_edited,
    pr_comment,
    slack_mention,
    tick,
    todo_issues,
    tracking_comments,
)

MIGRATION: list[dict[str, Any]] = [
    {
        "content": "Migrate to cloud-native architecture on AWS",
        "status": "in_progress",
        "children": [
            {"content": "Set up VPC network and security groups", "status": "completed"},
            {"content": "Deploy EKS cluster with worker nodes", "status": "in_progress"},
            {"content": "Configure ingress", "status": "blocked", "blocked_reason": "quota limit reached"},
        ],
    },
    {"content": "Tell the team", "status": "pending"},
]
NESTED = (
    "- [ ] [Ops] Migrate to cloud-native architecture on AWS (in progress)\n"
    "  - [x] [Ops] Set up VPC network and security groups\n"
    "  - [ ] [Ops] Deploy EKS cluster with worker nodes (in progress)\n"
    "  - [ ] [Ops] Configure ingress (BLOCKED - quota limit reached)\n"
    "- [ ] [Ops] Tell the team"
)


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    async with bot_for(redis_url, emulators) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


async def statuses(bot: BotUnderTest, place: Place) -> dict[str, str]:
    return {t.content: t.status for t in every_item(await bot.runtime.todos.current(place))}


def script(emulators: Emulators, todos: list[dict[str, Any]]) -> None:
    emulators.anthropic.script([tool_use("update_todos", {"todos": todos}), text(ANSWER)])


async def test_sub_tasks_are_a_nested_task_list_on_github_and_a_writer_ticks_one(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    emulators.github.add_issue(API, 60, "Migration", pull=True)
    script(emulators, MIGRATION)
    await bot.github("issue_comment", pr_comment(emulators, "@opsbot plan the migration", 60))
    await bot.run_jobs()
    [comment] = tracking_comments(emulators, API, 60)
    assert NESTED in comment["body"]
    assert "1 of 5 done, 1 blocked" in comment["body"]

    place = GitHubThread(API, 60, is_pull_request=True)
    child = "[Ops] Deploy EKS cluster with worker nodes"
    refused = emulators.github.edit_comment(comment["id"], tick(comment["body"], child))
    await bot.github("issue_comment", comment_edited(API, 60, refused, comment["body"], "mallory"))
    await bot.run_jobs()
    assert (await statuses(bot, place))[child] == "in_progress"  # no push access: put back

    [comment] = tracking_comments(emulators, API, 60)
    edited = emulators.github.edit_comment(comment["id"], tick(comment["body"], child))
    await bot.github("issue_comment", comment_edited(API, 60, edited, comment["body"], "octocat"))
    await bot.run_jobs()
    assert (await statuses(bot, place))[child] == "completed"
    [rewritten] = tracking_comments(emulators, API, 60)
    assert f"  - [x] {child} (done by github:octocat)" in rewritten["body"]

    # The agent resending its older view keeps the person's tick on the child.
    script(emulators, MIGRATION)
    await bot.github("issue_comment", pr_comment(emulators, "@opsbot go on", 60))
    await bot.run_jobs()
    assert (await statuses(bot, place))[child] == "completed"


async def test_sub_tasks_are_a_nested_task_list_on_gitlab(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.gitlab.add_merge_request(77, 12, "Migration")
    script(emulators, MIGRATION)
    await bot.gitlab("Note Hook", mr_note(emulators, "@opsbot plan the migration", 12))
    await bot.run_jobs()
    [note] = [n for n in emulators.gitlab.notes(77, "merge_requests", 12) if "<!-- opsbot:todos -->" in n["body"]]
    assert NESTED in note["body"]

    child = "[Ops] Set up VPC network and security groups"
    unticked = note["body"].replace(f"  - [x] {child}", f"  - [ ] {child}")
    edited = emulators.gitlab.edit_note(note["id"], unticked)
    await bot.gitlab("Note Hook", note_edited(12, edited, "jdoe"))
    await bot.run_jobs()
    assert (await statuses(bot, GitLabThread("acme/web", 12, "merge_request")))[child] == "pending"


async def test_sub_tasks_are_indented_in_the_slack_thread(bot: BotUnderTest, emulators: Emulators) -> None:
    script(emulators, MIGRATION)
    await bot.slack(slack_mention(emulators, "plan the migration"), content_type="application/json")
    await bot.run_jobs()
    [shown] = [m for m in emulators.slack.messages("C_OPS") if "Migrate to cloud-native" in m["text"]]
    lines = shown["text"].splitlines()
    assert "- [ ] [Ops] Migrate to cloud-native architecture on AWS (in progress)" in lines
    assert "\u2003↳ [x] [Ops] Set up VPC network and security groups" in lines
    assert "\u2003↳ [ ] [Ops] Configure ingress (BLOCKED - quota limit reached)" in lines


async def test_another_agents_prefix_is_a_tool_error_naming_it(bot: BotUnderTest, emulators: Emulators) -> None:
    emulators.github.add_issue(API, 61, "Migration", pull=True)
    theirs = [{"content": "[Ops] Drain", "status": "pending"}, {"content": "[Engineer] Write it", "status": "pending"}]
    script(emulators, theirs)
    await bot.github("issue_comment", pr_comment(emulators, "@opsbot plan it", 61))
    await bot.run_jobs()
    [result] = [
        block
        for block in emulators.anthropic.bodies()[-1]["messages"][-1]["content"]
        if block.get("type") == "tool_result"
    ]
    assert result["is_error"] is True
    assert "[Engineer] Write it" in str(result["content"])
    assert tracking_comments(emulators, API, 61) == []
    assert await bot.runtime.todos.current(GitHubThread(API, 61, is_pull_request=True)) == []


LIMITED_CONFIG = """
services:
  api: {github: acme/api, environments: [staging]}
environments:
  staging: {}
todos:
  mirror: issues
agent:
  max_todo_issues: 2
"""


async def test_issues_mode_opens_at_most_max_todo_issues_and_says_so(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators, tmp_path: Path
) -> None:
    config = tmp_path / "ops.yaml"
    config.write_text(LIMITED_CONFIG)
    plan = [{"content": f"Step {n}", "status": "pending"} for n in range(1, 5)]
    async with bot_for(redis_url, emulators, OPSBOT_CONFIG=str(config)) as bot:
        emulators.github.add_issue(API, 62, "Big plan", pull=True)
        script(emulators, plan)
        await bot.github("issue_comment", pr_comment(emulators, "@opsbot plan it", 62))
        await bot.run_jobs()
        opened = sorted(i["title"] for i in todo_issues(emulators, API))
        assert opened == ["[Ops] Step 1", "[Ops] Step 2"]
        [result] = [
            block
            for block in emulators.anthropic.bodies()[-1]["messages"][-1]["content"]
            if block.get("type") == "tool_result"
        ]
        assert "2 not opened as issues" in str(result["content"])
        [comment] = tracking_comments(emulators, API, 62)
        assert "- [ ] [Ops] Step 4" in comment["body"]  # kept in the list, shown in the conversation
        assert "2 of these todos are kept here only, not opened as issues (at most 2" in comment["body"]

        # A new list from the agent cannot open more: the bound is per conversation, not per list.
        others = [{"content": f"Other {n}", "status": "pending"} for n in range(3)]
        script(emulators, others)
        await bot.github("issue_comment", pr_comment(emulators, "@opsbot start over", 62))
        await bot.run_jobs()
        assert len(todo_issues(emulators, API)) == 2
        # The same list again: todos known to have no issue are not searched for once more.
        searches = len(emulators.github.requests_to("GET", rf"/repos/{API}/issues$"))
        script(emulators, others)
        await bot.github("issue_comment", pr_comment(emulators, "@opsbot go on", 62))
        await bot.run_jobs()
        assert len(emulators.github.requests_to("GET", rf"/repos/{API}/issues$")) == searches
        assert searches > 0
    assert not emulators.errors, "an emulator failed"


async def test_ops_todos_in_a_channel_lists_its_threads_with_open_todos_newest_first(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    plans = [
        [{"content": "Drain node pool", "status": "completed"}, {"content": "Upgrade kubelet", "status": "pending"}],
        [{"content": "Rotate certs", "status": "completed"}],  # all done: not listed
        MIGRATION,
    ]
    asked = {}
    for n, plan in enumerate(plans):
        # The agent's lists, saved as its update_todos calls save them, in threads Slack knows.
        asked[str(n)] = emulators.slack.add_message("C_OPS", f"plan number {n}")
        await bot.runtime.todos.agent_list(SlackThread("C_OPS", asked[str(n)]), parse_todos(plan))

    await bot.slack(slash_command_body("todos"))
    await bot.run_jobs()
    [listing] = [m for m in emulators.slack.messages("C_OPS") if "with open [Ops] todos" in m["text"]]
    lines = listing["text"].splitlines()
    assert lines[0] == "*Threads with open [Ops] todos* in <#C_OPS>, newest first"
    link = "https://{team}.slack.com/archives/C_OPS/p{ts}".format(team=emulators.slack.team.lower(), ts="{ts}")
    assert lines[1].startswith(f"- <{link.format(ts=asked['2'].replace('.', ''))}|thread of ")
    assert lines[1].endswith("(1 of 5 done): next [Ops] Migrate to cloud-native architecture on AWS")
    assert lines[2].startswith(f"- <{link.format(ts=asked['0'].replace('.', ''))}|thread of ")
    assert lines[2].endswith("(1 of 2 done): next [Ops] Upgrade kubelet")
    assert len(lines) == 3

    # In the thread itself, `todos` shows that thread's list as before.
    said = f"<@{emulators.slack.bot_user_id}> todos"
    ts = emulators.slack.add_message("C_OPS", said, thread_ts=asked["0"])
    mention = {"type": "app_mention", "user": "U_ALICE", "text": said, "ts": ts, "thread_ts": asked["0"]}
    await bot.slack(event_callback({**mention, "event_ts": ts, "channel": "C_OPS"}), content_type="application/json")
    await bot.run_jobs()
    [shown] = [m for m in emulators.slack.messages("C_OPS") if m["text"].startswith("*[Ops] todos here*")]
    assert "(1 of 2 done)" in shown["text"]
