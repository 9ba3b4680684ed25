"""A resolved incident's follow-ups: the review's action items become ``[Ops] POST-INCIDENT: …`` todos.

The review is the model's draft, so it is data: the items are read from it by
rule (the ``[Ops]`` lines of its Action items section), bounded in number and
length, and go through the same cleaning as any todo. No second model call.
"""

from __future__ import annotations

import re

from bot.todos.lists import MAX_TEXT, PREFIX, Todo, parse_todos

MARK = "POST-INCIDENT: "
MAX_FOLLOW_UPS = 10  # a review proposes a handful; more is noise on the tracking issue
MAX_ITEM = 200  # of the action item's own words
HEADING = re.compile(r"^\s*(?:#{1,6}\s+|\*\*)(?P<title>[^*#\n]+?)\s*(?:\*\*)?:?\s*$")
# "- [Ops] …", "1. [Ops] …", "- [ ] **[Ops]** …": an action item as a draft writes it.
ACTION = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])?\s*(?:\[[ xX]\]\s*)?[*_`]{0,2}\[Ops\][*_`]{0,2}:?\s*(?P<text>\S.*)$")


def _action_lines(review: str) -> list[str]:
    """The Action items section's lines, or, when the draft has no such heading, all of it."""
    lines = review.splitlines()
    start = next((n for n, line in enumerate(lines) if _heading(line) == "action items"), None)
    if start is None:
        return lines
    section = []
    for line in lines[start + 1 :]:
        if _heading(line) is not None:
            break
        section.append(line)
    return section


def _heading(line: str) -> str | None:
    found = HEADING.match(line)
    return " ".join(found["title"].lower().split()) if found else None


def follow_ups(review: str) -> list[Todo]:
    """The review's ``[Ops]`` action items as pending ``[Ops] POST-INCIDENT: …`` todos, in order, once each."""
    found_todos: list[Todo] = []
    for line in _action_lines(review):
        found = ACTION.match(line)
        if found is None:
            continue
        text = found["text"].strip().strip("*_`").strip()
        text = re.sub(r"^POST-INCIDENT:\s*", "", text, flags=re.IGNORECASE)
        if not text:
            continue
        text = text if len(text) <= MAX_ITEM else text[: MAX_ITEM - 1].rstrip() + "…"
        [todo] = parse_todos([{"content": f"{PREFIX}{MARK}{text}"[:MAX_TEXT], "status": "pending"}])
        if all(todo.id != known.id for known in found_todos):
            found_todos.append(todo)
        if len(found_todos) == MAX_FOLLOW_UPS:
            break
    return found_todos
