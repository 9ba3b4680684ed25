"""The one place that renders opsbot's text for Slack, and cuts it to Slack's limits.

Slack reads ``<…>`` as its control sequences (``<!channel>``, ``<@U…>``,
``<#C…>``, ``<url|label>``) and asks apps to escape ``&``, ``<`` and ``>`` as
``&amp;``, ``&lt;`` and ``&gt;`` in text they don't mean as such. So every
plain run is escaped, and only :mod:`bot.text` tokens become Slack syntax.
A Markdown link that isn't a token (the agent may write one) becomes
``label (url)``, so where it leads is visible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.clients.limits import TRUNCATED, cut, safe_end
from bot.model import Button
from bot.text import ChannelRef, Code, Hidden, Link, Mention, segments, strip_tokens

TEXT_LIMIT = 40_000  # chat.postMessage `text`
SECTION_LIMIT = 3_000  # one section block's text
BLOCK_LIMIT = 50  # blocks in one message
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2_000
ACTIONS_LIMIT = 25  # elements in one actions block
CHANNEL_NAME_LIMIT = 80
NOTE = "\n\n_" + TRUNCATED.format(service="Slack") + "_"

SLACK_USER = re.compile(r"^[UW][A-Z0-9_]+$")
SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9_]+$")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*([^)\s]+)[^)\n]*\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# What a cut must not split: Slack's own sequences and the entities that escape them.
ATOMS = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);")
_NOT_IN_NAME = re.compile(r"[^a-z0-9_-]+")
# A nested Markdown task line ("  - [x] …", a sub-task): Slack has no task lists and drops leading spaces,
# so the indent becomes em spaces and an arrow that show where the sub-task belongs.
_NESTED_TASK = re.compile(r"^((?:  )+)[-*] (?=\[[ xX]\] )", re.MULTILINE)
EM_SPACE = "\u2003"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> str:
    linked = _MARKDOWN_LINK.sub(lambda m: f"{m[1]} ({m[2]})" if m[1] else m[2], text)
    return escape(_NESTED_TASK.sub(lambda m: EM_SPACE * (len(m[1]) // 2) + "↳ ", linked))


def _url(url: str) -> str:
    return escape(url).replace("|", "%7C")


def to_mrkdwn(text: str) -> str:
    """``text`` in Slack's mrkdwn: escaped, with opsbot's people, channels and links live."""
    out: list[str] = []
    for segment in segments(text):
        if isinstance(segment, str):
            # Bold is Markdown's **…** in plain runs only: inside code it is literal text.
            plain_run = _plain(segment)
            out.append(_BOLD.sub(r"*\1*", plain_run) if "**" in plain_run else plain_run)
        elif isinstance(segment, Mention):
            live = segment.platform == "slack" and SLACK_USER.match(segment.id)
            out.append(f"<@{segment.id}>" if live else escape(segment.handle))
        elif isinstance(segment, ChannelRef):
            out.append(f"<#{segment.id}>" if SLACK_CHANNEL.match(segment.id) else escape(f"#{segment.id}"))
        elif isinstance(segment, Link):
            out.append(f"<{_url(segment.url)}|{escape(segment.label)}>")
        elif isinstance(segment, Code):
            out.append(f"`{escape(segment.text)}`")
        elif isinstance(segment, Hidden):
            continue  # Slack carries opsbot's markers as message metadata
    return "".join(out)


def code_span(text: str) -> str:
    """``to_mrkdwn(code(text))`` without the token round trip: the slash command's
    acknowledgement quotes the command this way on every request."""
    literal = strip_tokens(text)
    return f"`{escape(literal)}`" if literal else ""


def message_text(text: str) -> str:
    """The ``text`` of a message: rendered, then cut to what Slack accepts."""
    return cut(to_mrkdwn(text), TEXT_LIMIT, NOTE, ATOMS)


def sections(rendered: str) -> list[str]:
    """Rendered text in section-sized pieces, cut at line breaks where it can, never inside a sequence."""
    pieces: list[str] = []
    rest = rendered
    while len(rest) > SECTION_LIMIT:
        end = rest.rfind("\n", 0, SECTION_LIMIT)
        end = end if end > 0 else safe_end(rest, SECTION_LIMIT, ATOMS) or SECTION_LIMIT
        pieces.append(rest[:end])
        rest = rest[end:].lstrip("\n")
    return [piece for piece in (*pieces, rest) if piece.strip()] or ["\u200b"]


def blocks(text: str, buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """The message as sections with the buttons under them, within Slack's block limits."""
    rows = [buttons[i : i + ACTIONS_LIMIT] for i in range(0, len(buttons), ACTIONS_LIMIT)]
    # 40,000 characters make at most about 28 sections, well inside the block limit; the guard stays.
    shown = sections(message_text(text))[: max(1, BLOCK_LIMIT - len(rows))]
    return [
        *({"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in shown),
        *(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": b.label[:BUTTON_TEXT_LIMIT] or "…"},
                        "action_id": b.action,
                        "value": b.value[:BUTTON_VALUE_LIMIT],
                        "style": "primary",
                    }
                    for b in row
                ],
            }
            for row in rows
        ),
    ]


def channel_name(wanted: str) -> str:
    """A name Slack accepts for a new channel: lower case, ``[a-z0-9_-]``, at most 80 characters."""
    name = _NOT_IN_NAME.sub("-", wanted.lower()).strip("-")
    return name[:CHANNEL_NAME_LIMIT].rstrip("-") or "opsbot"
