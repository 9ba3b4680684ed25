"""Hidden markers opsbot leaves in the comments and messages it writes.

A marker is an HTML comment on GitHub and GitLab (not rendered, kept in the
body) and message metadata on Slack. They let a re-run job find what an
earlier run already posted, and let the webhook side recognise (and ignore)
the bot's own comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REPLY_EVENT_TYPE = "opsbot_reply"  # Slack message metadata event_type
_REPLY = re.compile(r"<!-- opsbot:reply (\S+) -->")
ANY_MARKER = "<!-- opsbot:"
TRACKING = "opsbot:todos"  # a thread's tracking comment of [Ops] todos (see bot.text.hidden)
TRACKING_MARKER = f"<!-- {TRACKING} -->"  # how it reads in a forge comment
TODO_ISSUE_MARKER = "<!-- opsbot:todo "  # + conversation and todo id: an issue mirroring one todo


def with_reply_marker(body: str, reply_key: str) -> str:
    return f"{body}\n\n<!-- opsbot:reply {reply_key} -->"


def find_marked(messages: Iterable[tuple[str, str | None]], reply_key: str) -> str | None:
    """The id of the first (id, body) whose body carries ``reply_key``'s marker."""
    return next((message_id for message_id, body in messages if has_reply_marker(body, reply_key)), None)


def has_reply_marker(body: str | None, reply_key: str) -> bool:
    return any(found == reply_key for found in _REPLY.findall(body or ""))
