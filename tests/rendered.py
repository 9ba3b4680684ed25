"""Reading what opsbot posted the way the service would show it: live mentions, links, hidden HTML.

The forge check renders Markdown with a CommonMark parser (HTML allowed, as GitHub and GitLab allow
it) and looks at what a reader gets: text nodes outside code (where ``@handle`` notifies, even when it
was written as an entity), links, and raw HTML (only opsbot's own markers may be there). The Slack check
lists the ``<…>`` sequences Slack would act on.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from markdown_it import MarkdownIt
from markdown_it.token import Token

NOTIFYING = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")
OPSBOT_MARKER = re.compile(r"^<!-- opsbot:[^<>]*? -->\s*$")
SLACK_SEQUENCE = re.compile(r"<([^<>]*)>")
_MARKDOWN = MarkdownIt("commonmark", {"html": True})


def _walk(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found += _walk(token.children)
    return found


def forge_problems(body: str, links: Collection[str] = ()) -> list[str]:
    """What in ``body`` would notify someone, link somewhere not in ``links``, or hide HTML that
    isn't one of opsbot's markers."""
    problems: list[str] = []
    for token in _walk(_MARKDOWN.parse(body)):
        if token.type == "text" and NOTIFYING.search(token.content):
            problems.append(f"a live mention in {token.content!r}")
        elif token.type in ("html_block", "html_inline"):
            for piece in re.split(r"(?<=-->)\s*", token.content.strip()):
                if piece and not OPSBOT_MARKER.match(piece):
                    problems.append(f"raw HTML {piece!r}")
        elif token.type in ("link_open", "image") and str(token.attrs.get("href", token.attrs.get("src"))) not in links:
            problems.append(f"a link to {token.attrs!r}")
    return problems


def slack_problems(text: str, people: Collection[str] = (), channels: Collection[str] = (),
                   links: Collection[str] = ()) -> list[str]:  # fmt: skip
    """The ``<…>`` sequences in ``text`` Slack would act on that are not opsbot's own."""
    allowed = {f"@{p}" for p in people} | {f"#{c}" for c in channels}
    problems = []
    for sequence in SLACK_SEQUENCE.findall(text):
        url = sequence.split("|", 1)[0]
        if sequence not in allowed and url not in links:
            problems.append(f"<{sequence}>")
    return problems
