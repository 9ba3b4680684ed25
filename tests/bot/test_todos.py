"""[Ops] todos: validation, the prefix every todo carries, and how a list reads."""

from __future__ import annotations

import re

import pytest

from bot.errors import CommandError
from bot.mirror import tracking_body
from bot.todos import Todo, parse_todos, render


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
    body = tracking_body(todos, limit=2_000)
    assert len(body) <= 2_000
    assert body.startswith("<!-- opsbot:todos -->\n**[Ops] todos**: 20 of 40 done")
    assert "- [x]" not in body  # done work goes before open work
    assert "- [ ] [Ops] Step 38" in body
    assert re.search(r"_\d+ more not shown", body)


def test_ids_are_stable_across_status_and_prefix() -> None:
    assert Todo("[Ops] Deploy  API", "pending").id == Todo("[Ops] deploy api", "completed").id
    assert Todo("[Ops] Deploy api", "pending").id != Todo("[Ops] Deploy web", "pending").id
