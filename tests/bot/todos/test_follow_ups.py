"""A resolved incident's review turned into [Ops] POST-INCIDENT todos, by rule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.todos.follow_ups import MAX_FOLLOW_UPS, MAX_ITEM, follow_ups
from bot.todos.lists import MAX_TEXT

REVIEW = """**Post-incident review (draft by the Ops agent)**

## Summary
Payments were down. [Ops] restarted the pool (not an action item).

## Action items
- [Ops] Add an alert on connection pool usage (owner: _TBD_)
1. **[Ops]** Raise the pool size in production (owner: @carol)
- [ ] [Ops] POST-INCIDENT: Document the failover runbook
- Someone else's item without the prefix
- [Ops] Add an alert on connection pool usage (owner: _TBD_)

## Notes
- [Ops] Not an action item either
"""


def test_the_action_items_become_post_incident_todos_in_order_once_each() -> None:
    assert [(t.content, t.status) for t in follow_ups(REVIEW)] == [
        ("[Ops] POST-INCIDENT: Add an alert on connection pool usage (owner: _TBD_)", "pending"),
        ("[Ops] POST-INCIDENT: Raise the pool size in production (owner: @carol)", "pending"),
        ("[Ops] POST-INCIDENT: Document the failover runbook", "pending"),
    ]


def test_a_draft_without_the_heading_gives_its_ops_lines_and_a_long_one_is_cut() -> None:
    draft = "- [Ops] Tune the HPA\n" + "- [Ops] " + "x" * 500 + "\n" + "\n".join(f"- [Ops] item {n}" for n in range(20))
    found = follow_ups(draft)
    assert len(found) == MAX_FOLLOW_UPS
    assert found[0].content == "[Ops] POST-INCIDENT: Tune the HPA"
    assert found[1].content.endswith("…")
    assert len(found[1].content) <= len("[Ops] POST-INCIDENT: ") + MAX_ITEM


def test_a_secret_in_an_action_item_is_redacted() -> None:
    [item] = follow_ups("## Action items\n- [Ops] Rotate xoxb-123456789012-abcdefghijklmnop")
    assert "xoxb-" not in item.content


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.text(max_size=80).map(lambda s: f"- [Ops] {s}")), max_size=30))
def test_any_draft_gives_a_bounded_list_of_one_line_post_incident_todos(lines: list[str]) -> None:
    found = follow_ups("## Action items\n" + "\n".join(lines))
    assert len(found) <= MAX_FOLLOW_UPS
    assert len({t.id for t in found}) == len(found)
    for todo in found:
        assert todo.content.startswith("[Ops] POST-INCIDENT: ")
        assert "\n" not in todo.content
        assert len(todo.content) <= MAX_TEXT
        assert todo.status == "pending"
