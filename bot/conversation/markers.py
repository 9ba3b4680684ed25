"""Hidden markers opsbot leaves in the comments and messages it writes.

A marker is an HTML comment on GitHub and GitLab (not rendered, kept in the
body) and message metadata on Slack. They let a re-run job find what an
earlier run already posted, and let the webhook side recognise (and ignore)
the bot's own comments. Every marker is built here and read back here, so a
format can't drift between the writer and the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.text import hidden, marker_safe

REPLY_EVENT_TYPE = "opsbot_reply"  # Slack message metadata event_type
ANY_MARKER = "<!-- opsbot:"
TRACKING = "opsbot:todos"  # a thread's tracking comment of [Ops] todos (see bot.text.hidden)

_REPLY = "opsbot:reply"  # + reply key: a message posted once under that key
_TODO = "opsbot:todo"  # + conversation and todo id: an issue mirroring one todo
_TODO_THREAD = "opsbot:todo-thread"  # + conversation: the issue carrying a Slack thread's checklist
_INCIDENT = "opsbot:incident"  # + incident id: an incident's tracking issue

_REPLY_FOUND = re.compile(r"<!-- opsbot:reply (\S+) -->")


def as_comment(marker: str) -> str:
    """``marker`` as it reads in a forge body: an HTML comment that nothing inside can end."""
    safe = " ".join(marker_safe(marker).split())
    return f"<!-- {safe} -->"


TRACKING_MARKER = as_comment(TRACKING)
TODO_ISSUE_MARKER = f"<!-- {_TODO} "  # the start of every todo issue's marker


def with_reply_marker(body: str, reply_key: str) -> str:
    return f"{body}\n\n<!-- {_REPLY} {reply_key} -->"


def reply_metadata(reply_key: str) -> dict[str, Any]:
    """The reply marker on Slack: message metadata, not shown, returned with the history."""
    return {"event_type": REPLY_EVENT_TYPE, "event_payload": {"key": reply_key}}


def reply_key_of(metadata: object) -> str | None:
    """The reply key a Slack message's metadata carries, if opsbot tagged it."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != REPLY_EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None


def reply_keys_in(body: str | None) -> list[str]:
    return _REPLY_FOUND.findall(body or "")


def find_marked(messages: Iterable[tuple[str, str | None]], reply_key: str) -> str | None:
    """The id of the first (id, body) whose body carries ``reply_key``'s marker."""
    return next((message_id for message_id, body in messages if has_reply_marker(body, reply_key)), None)


def has_reply_marker(body: str | None, reply_key: str) -> bool:
    return reply_key in reply_keys_in(body)


def todo_issue(origin: str, todo_id: str) -> str:
    """Hidden in a todo issue's description: which conversation's todo it mirrors.
    ``origin`` is a :func:`bot.model.thread_key`, which holds no space and nothing that ends a comment."""
    return hidden(f"{_TODO} {origin} {todo_id}")


def todo_issues_in(description: str) -> list[tuple[str, str]]:
    """Every (conversation, todo id) a description's todo markers name, in order."""
    found = []
    for line in description.splitlines():
        parts = line.strip().split()
        if len(parts) == 5 and parts[:2] == ["<!--", _TODO] and parts[4] == "-->":
            found.append((parts[2], parts[3]))
    return found


def todo_thread(origin: str) -> str:
    """Hidden in the issue that carries a Slack conversation's checklist."""
    return hidden(f"{_TODO_THREAD} {origin}")


def todo_thread_in(body: str) -> str | None:
    return _one_field(_TODO_THREAD, body)


def incident_issue(incident_id: str) -> str:
    """Hidden in an incident's tracking issue."""
    return hidden(f"{_INCIDENT} {incident_id}")


def incident_in(body: str) -> str | None:
    return _one_field(_INCIDENT, body)


def _one_field(kind: str, body: str) -> str | None:
    found = re.search(rf"<!-- {re.escape(kind)} (\S+) -->", body)
    return found[1] if found else None
