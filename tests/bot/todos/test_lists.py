"""[Ops] todos: validation, the prefix every todo carries, and how a list reads."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clients.forge_markup import to_markdown
from bot.conversation.addressed import event_time
from bot.errors import CommandError
from bot.todos.checklist import tracking_body
from bot.todos.lists import (
    Status,
    Todo,
    apply_ticks,
    from_json,
    merge_agent_list,
    parse_todos,
    render,
    ticks_in,
    to_json,
)


def test_every_todo_carries_the_ops_prefix() -> None:
    todos = parse_todos(
        [
            {"content": "[Ops] Deploy api", "status": "completed"},
            {"content": "Configure alerts", "status": "pending"},
            {"content": "[Ops]Fix typo", "status": "in_progress"},
        ]
    )
    assert [t.content for t in todos] == ["[Ops] Deploy api", "[Ops] Configure alerts", "[Ops] Fix typo"]


def test_a_blocked_todo_needs_its_reason() -> None:
    with pytest.raises(CommandError, match="blocked_reason"):
        parse_todos([{"content": "[Ops] Scale db", "status": "blocked"}])
    [todo] = parse_todos([{"content": "[Ops] Scale db", "status": "BLOCKED", "blocked_reason": "quota reached"}])
    assert todo == Todo("[Ops] Scale db", "blocked", "quota reached")


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [{"content": "", "status": "pending"}],
        [{"content": "x", "status": "done"}],
        ["just text"],
        [{"content": "x", "status": "pending"}] * 51,
    ],
)
def test_bad_input_is_refused_in_words(bad: object) -> None:
    with pytest.raises(CommandError):
        parse_todos(bad)


def test_the_list_renders_as_markdown_task_lines() -> None:
    todos = [
        Todo("[Ops] Set up VPC", "completed"),
        Todo("[Ops] Deploy EKS", "in_progress"),
        Todo("[Ops] Deploy to production", "blocked", "SSL certificate renewal pending, affects go-live"),
        Todo("[Ops] Migrate apps", "pending"),
    ]
    assert render(todos) == (
        "- [x] [Ops] Set up VPC\n"
        "- [ ] [Ops] Deploy EKS (in progress)\n"
        "- [ ] [Ops] Deploy to production (BLOCKED - SSL certificate renewal pending, affects go-live)\n"
        "- [ ] [Ops] Migrate apps"
    )


def test_secrets_in_todos_are_redacted() -> None:
    [todo] = parse_todos([{"content": "rotate xoxb-123456789012-abcdefghijklmnop", "status": "pending"}])
    assert "xoxb-" not in todo.content


def test_a_tracking_body_over_the_limit_drops_completed_todos_first_and_keeps_the_summary() -> None:
    todos = [Todo(f"[Ops] Step {n} " + "x" * 80, "completed" if n % 2 else "pending") for n in range(40)]
    body = to_markdown(tracking_body(todos, limit=2_000))
    assert len(body) <= 2_000
    assert body.startswith("<!-- opsbot:todos -->\n**[Ops] todos**: 20 of 40 done")
    assert "- [x]" not in body  # done work goes before open work
    assert "- [ ] [Ops] Step 38" in body
    assert re.search(r"_\d+ more not shown", body)


def test_ids_are_stable_across_status_and_prefix() -> None:
    assert Todo("[Ops] Deploy  API", "pending").id == Todo("[Ops] deploy api", "completed").id
    assert Todo("[Ops] Deploy api", "pending").id != Todo("[Ops] Deploy web", "pending").id


def test_ticks_are_read_from_the_lines_as_written() -> None:
    todos = [
        Todo("[Ops] Drain node pool", "in_progress"),
        Todo("[Ops] Drain node pool fully", "pending"),  # a longer text is another todo
        Todo("[Ops] Rotate certs", "blocked", "CA approval pending"),
    ]
    body = "\n".join(t.line() for t in todos).replace(
        "- [ ] [Ops] Drain node pool (in", "- [x] [Ops] Drain node pool (in"
    )
    body = body.replace("- [ ] [Ops] Rotate", "* [X] [Ops] Rotate")
    assert ticks_in(body) == {todos[0].id: True, todos[1].id: False, todos[2].id: True}


def test_a_persons_tick_stands_until_the_agent_reports_news() -> None:
    agent = [Todo("[Ops] Drain", "pending"), Todo("[Ops] Upgrade", "in_progress")]
    ticked = apply_ticks(agent, {agent[0].id: True}, "github:octocat")
    assert ticked[0] == Todo("[Ops] Drain", "completed", None, "github:octocat", "pending")
    assert ticked[1] is agent[1]
    assert ticked[0].line() == "- [x] [Ops] Drain (done by github:octocat)"

    stale = merge_agent_list(ticked, agent)  # the agent hasn't seen the tick
    assert stale[0].status == "completed"
    news = merge_agent_list(ticked, [Todo("[Ops] Drain", "blocked", "PDB"), agent[1]])
    assert news[0] == Todo("[Ops] Drain", "blocked", "PDB")

    unticked = apply_ticks(ticked, {agent[0].id: False}, "github:hubot")
    assert (unticked[0].status, unticked[0].changed_by, unticked[0].agent_said) == (
        "pending",
        "github:hubot",
        "pending",
    )
    assert from_json(to_json(unticked)) == unticked


def test_forge_timestamps_of_both_forges_are_read() -> None:
    assert event_time("2019-05-15T15:20:21Z") == 1557933621.0
    assert event_time("2015-05-17 17:06:40 UTC") == 1431882400.0
    assert event_time("2024-03-01T10:00:00.500+01:00") == 1709283600.5


STATUSES: list[Status] = ["pending", "in_progress", "completed", "blocked"]
_words = st.text("abcdefghij ", min_size=1, max_size=12).map(lambda s: "[Ops] " + (" ".join(s.split()) or "x"))


@st.composite
def _lists(draw: st.DrawFn) -> list[Todo]:
    contents = draw(st.lists(_words, max_size=6, unique_by=lambda c: Todo(c, "pending").id))
    todos = []
    for content in contents:
        status = draw(st.sampled_from(STATUSES))
        todos.append(Todo(content, status, "quota" if status == "blocked" else None))
    return todos


@settings(max_examples=200, deadline=None)
@given(_lists(), st.data())
def test_ticks_change_only_the_todos_whose_box_changed(todos: list[Todo], data: st.DataObject) -> None:
    ticks = {t.id: data.draw(st.booleans()) for t in todos if data.draw(st.booleans())}
    after = apply_ticks(todos, ticks, "github:octocat")
    assert [t.id for t in after] == [t.id for t in todos]
    for before, now in zip(todos, after, strict=True):
        ticked = ticks.get(before.id)
        if ticked is None or ticked == (before.status == "completed"):
            assert now == before
        else:
            assert now.status == ("completed" if ticked else "pending")
            assert now.changed_by == "github:octocat"
            assert now.agent_said == before.status
            assert now.blocked_reason is None


@settings(max_examples=200, deadline=None)
@given(_lists())
def test_a_list_ticks_back_to_itself_from_its_own_checklist(todos: list[Todo]) -> None:
    assert apply_ticks(todos, ticks_in(render(todos)), "github:octocat") == todos


@settings(max_examples=200, deadline=None)
@given(_lists(), st.data())
def test_the_agent_resending_what_it_said_keeps_every_persons_tick(todos: list[Todo], data: st.DataObject) -> None:
    ticks = {t.id: t.status != "completed" for t in todos if data.draw(st.booleans())}
    stored = apply_ticks(todos, ticks, "U_ALICE")
    assert merge_agent_list(stored, todos) == stored


@settings(max_examples=200, deadline=None)
@given(_lists(), st.data())
def test_news_from_the_agent_wins_over_an_older_tick(todos: list[Todo], data: st.DataObject) -> None:
    stored = apply_ticks(todos, {t.id: t.status != "completed" for t in todos}, "U_ALICE")
    news = [replace(t, status=data.draw(st.sampled_from([s for s in STATUSES if s != t.status]))) for t in todos]
    assert merge_agent_list(stored, news) == news


@settings(max_examples=200, deadline=None)
@given(_lists(), _lists())
def test_the_merged_list_is_the_agents_list_in_the_agents_order(stored: list[Todo], given_: list[Todo]) -> None:
    merged = merge_agent_list(stored, given_)
    assert [t.id for t in merged] == [t.id for t in given_]
    assert [t.content for t in merged] == [t.content for t in given_]
