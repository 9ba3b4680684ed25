"""Sub-tasks and other agents' prefixes: how a nested list is read, written, ticked and merged."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clients.forge_markup import to_markdown
from bot.errors import CommandError
from bot.todos.checklist import tracking_body
from bot.todos.lists import (
    MAX_TODOS,
    Status,
    Todo,
    apply_ticks,
    every_item,
    from_json,
    merge_agent_list,
    parse_todos,
    render,
    ticks_in,
    to_json,
)

MIGRATION = {
    "content": "[Ops] Migrate to cloud-native architecture on AWS",
    "status": "in_progress",
    "children": [
        {"content": "[Ops] Set up VPC network and security groups", "status": "completed"},
        {"content": "Deploy EKS cluster with worker nodes", "status": "in_progress"},
        {"content": "[Ops] Configure ingress", "status": "blocked", "blocked_reason": "quota limit reached"},
    ],
}


def test_children_are_parsed_with_their_own_status_and_the_prefix() -> None:
    [parent] = parse_todos([MIGRATION])
    assert parent.status == "in_progress"
    assert [(c.content, c.status, c.blocked_reason) for c in parent.children] == [
        ("[Ops] Set up VPC network and security groups", "completed", None),
        ("[Ops] Deploy EKS cluster with worker nodes", "in_progress", None),
        ("[Ops] Configure ingress", "blocked", "quota limit reached"),
    ]


def test_a_nested_list_renders_as_an_indented_task_list() -> None:
    assert render(parse_todos([MIGRATION, {"content": "[Ops] Tell the team", "status": "pending"}])) == (
        "- [ ] [Ops] Migrate to cloud-native architecture on AWS (in progress)\n"
        "  - [x] [Ops] Set up VPC network and security groups\n"
        "  - [ ] [Ops] Deploy EKS cluster with worker nodes (in progress)\n"
        "  - [ ] [Ops] Configure ingress (BLOCKED - quota limit reached)\n"
        "- [ ] [Ops] Tell the team"
    )


def test_the_tracking_body_counts_sub_tasks_too() -> None:
    body = tracking_body(parse_todos([MIGRATION]))
    assert "**[Ops] todos**: 1 of 4 done, 1 blocked" in body


def test_sub_tasks_are_one_level_deep() -> None:
    grandchild = {**MIGRATION, "children": [{**MIGRATION}]}
    with pytest.raises(CommandError, match="one level deep"):
        parse_todos([grandchild])


def test_the_bound_counts_sub_tasks() -> None:
    children = [{"content": f"[Ops] step {n}", "status": "pending"} for n in range(MAX_TODOS)]
    with pytest.raises(CommandError, match=f"at most {MAX_TODOS}"):
        parse_todos([{"content": "[Ops] parent", "status": "pending", "children": children}])
    assert len(every_item(parse_todos([{"content": "[Ops] p", "status": "pending", "children": children[:49]}]))) == 50


@pytest.mark.parametrize("content", ["[Engineer] Write the migration", "[QA] test it", "[Research]x", "[Security] a"])
def test_another_agents_prefix_is_refused_naming_the_item(content: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_todos([{"content": "[Ops] fine", "status": "pending"}, {"content": content, "status": "pending"}])
    assert content in str(refused.value)
    nested = {"content": "[Ops] parent", "status": "pending", "children": [{"content": content, "status": "pending"}]}
    with pytest.raises(CommandError, match="another agent's prefix"):
        parse_todos([nested])


def test_an_unprefixed_todo_is_the_ops_agents_and_our_own_prefix_is_normalised() -> None:
    todos = parse_todos(
        [
            {"content": "Roll back web", "status": "pending"},
            {"content": "[ops]  Check dashboards", "status": "pending"},
            {"content": "INCIDENT: Restore payments (DOWN - pool exhausted)", "status": "in_progress"},
        ]
    )
    assert [t.content for t in todos] == [
        "[Ops] Roll back web",
        "[Ops] Check dashboards",
        "[Ops] INCIDENT: Restore payments (DOWN - pool exhausted)",
    ]


def test_lists_stored_before_sub_tasks_still_load() -> None:
    old = [{"content": "[Ops] Drain", "status": "pending", "blocked_reason": None}]
    assert from_json(old) == [Todo("[Ops] Drain", "pending")]


def test_a_tick_on_a_nested_box_on_either_forge_changes_that_child() -> None:
    [parent] = parse_todos([MIGRATION])
    body = to_markdown(tracking_body([parent]))
    # What GitHub and GitLab write when a person ticks the nested box: the same line, "[ ]" become "[x]".
    ticked_body = body.replace("  - [ ] [Ops] Deploy EKS", "  - [x] [Ops] Deploy EKS")
    assert ticked_body != body
    [after] = apply_ticks([parent], ticks_in(ticked_body), "github:octocat")
    assert after.status == parent.status
    assert after.children[1] == replace(
        parent.children[1], status="completed", changed_by="github:octocat", agent_said="in_progress"
    )
    assert after.children[0] == parent.children[0]
    assert after.children[2] == parent.children[2]


STATUSES: list[Status] = ["pending", "in_progress", "completed", "blocked"]
_text = st.text("abcdefghij ", min_size=1, max_size=12).map(lambda s: "[Ops] " + (" ".join(s.split()) or "x"))


@st.composite
def _nested(draw: st.DrawFn) -> list[Todo]:
    """Up to five parents with up to three children each, every text a todo of its own."""
    contents = draw(st.lists(_text, max_size=20, unique_by=lambda c: Todo(c, "pending").id))

    def todo(content: str, children: tuple[Todo, ...] = ()) -> Todo:
        status = draw(st.sampled_from(STATUSES))
        return Todo(content, status, "quota" if status == "blocked" else None, children=children)

    todos: list[Todo] = []
    while contents and len(todos) < 5:
        parent, contents = contents[0], contents[1:]
        count = draw(st.integers(0, min(3, len(contents))))
        todos.append(todo(parent, tuple(todo(c) for c in contents[:count])))
        contents = contents[count:]
    return todos


def _tool_input(todos: list[Todo]) -> list[dict[str, object]]:
    def one(t: Todo) -> dict[str, object]:
        item: dict[str, object] = {"content": t.content, "status": t.status}
        if t.blocked_reason:
            item["blocked_reason"] = t.blocked_reason
        if t.children:
            item["children"] = [one(c) for c in t.children]
        return item

    return [one(t) for t in todos]


@settings(max_examples=200, deadline=None)
@given(_nested())
def test_a_nested_list_parses_renders_and_ticks_back_to_itself(todos: list[Todo]) -> None:
    assert parse_todos(_tool_input(todos)) == todos
    assert from_json(to_json(todos)) == todos
    body = to_markdown(tracking_body(todos))
    assert ticks_in(body) == {t.id: t.status == "completed" for t in every_item(todos)}
    assert apply_ticks(todos, ticks_in(body), "github:octocat") == todos


@settings(max_examples=200, deadline=None)
@given(_nested(), st.data())
def test_a_persons_tick_on_any_item_survives_the_agent_resending_its_list(
    todos: list[Todo], data: st.DataObject
) -> None:
    ticks = {t.id: t.status != "completed" for t in every_item(todos) if data.draw(st.booleans())}
    stored = apply_ticks(todos, ticks, "U_ALICE")
    assert {t.id for t in every_item(stored) if t.changed_by} == set(ticks)
    assert merge_agent_list(stored, todos) == stored
    assert from_json(to_json(stored)) == stored
    news = [replace(t, children=()) for t in todos]  # the agent dropped every sub-task
    assert all(not t.children for t in merge_agent_list(stored, news))
