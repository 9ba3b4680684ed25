"""The one place that renders opsbot's text for GitHub and GitLab, and cuts it to their limits.

Both forges render Markdown with inline HTML, and both turn ``@handle``
(``@org/team``, GitLab's ``@all``) in text into a notification; GitHub does it
in the text nodes *after* rendering, so an HTML entity like ``&#64;`` would
not help. So in every plain run, outside code:

- a word joiner (U+2060, invisible) follows an ``@`` that could start a
  mention, the way the forges' own patterns read one (``@`` not after an
  ASCII letter or digit), so the handle no longer follows it;
- ``&`` and ``<`` are entities, so no HTML, comment or entity can be opened;
- a Markdown link or image that isn't opsbot's becomes ``label (url)``, and a
  reference definition is shown as text, so no label can disguise a target;
- a code fence left open is closed, so nothing after it is swallowed.

Fenced code blocks are left as written (mentions and HTML are inert there);
inline code is escaped like prose, since which backticks pair up depends on
block structure. Tokens from :mod:`bot.text` become opsbot's own links and
hidden markers; a Slack person is their plain user id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from bot.clients.limits import TRUNCATED, cut, utf8_bytes
from bot.conversation.markers import as_comment
from bot.text import ChannelRef, Code, Hidden, Link, Mention, plain, segments

WORD_JOINER = "\u2060"
URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"  # kept as they are; spaces, parentheses and <> are encoded
GITHUB = {"title": 256, "body": 65_536}
GITLAB = {"title": 255, "note": 1_000_000, "description_bytes": 1_048_576}

_SLACK_ID = re.compile(r"^[A-Z0-9_]+$")
# "_" is left out of the lookbehind: it may close emphasis (``_x_@y``), leaving "@y" a text node of its own.
_MENTION_AT = re.compile(r"(?<![A-Za-z0-9])@")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?[^)\n]*\)")
_REFERENCE_DEFINITION = re.compile(r"^( {0,3})\[([^\]\n]+)\]:", re.MULTILINE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# What a cut must not split: markers, entities, links, a mention's neutralised @.
ATOMS = re.compile(r"<!--.*?-->|&[#A-Za-z0-9]+;|\[[^\]\n]*\]\([^)\n]*\)|@\u2060", re.DOTALL)


def _inert(text: str) -> str:
    """Prose outside code: nothing in it can notify, link in disguise, or open HTML."""
    text = _MARKDOWN_LINK.sub(lambda m: f"{m[1]} ({m[2]})" if m[1] and m[2] else m[1] or m[2], text)
    text = _REFERENCE_DEFINITION.sub(r"\1\\[\2]:", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MENTION_AT.sub("@" + WORD_JOINER, text)


def _inline(text: str) -> str:
    # Inline code spans get the same escaping (an entity shows as written there): which backticks
    # pair up depends on block structure a line-by-line reading can't see, and a span that is
    # believed to be code but isn't would leave HTML live.
    return _inert(text)


def _lines_with_ends(text: str) -> list[str]:
    # Markdown's line endings only: str.splitlines() would also break at \x1c-\x1e, \x85, U+2028...
    return _LINE.findall(text) or [text]


def _fence_opening(line: str) -> tuple[str, int] | None:
    match = _FENCE.match(line.rstrip("\r\n"))
    if match is None or (match[1][0] == "`" and "`" in match[2]):
        return None
    return match[1][0], len(match[1])


def _closes(line: str, fence: tuple[str, int]) -> bool:
    stripped = line.rstrip("\r\n")
    match = re.match(r"^ {0,3}(" + re.escape(fence[0]) + r"{" + str(fence[1]) + r",})\s*$", stripped)
    return match is not None


def open_fence(text: str) -> tuple[str, int] | None:
    """The code fence still open at the end of ``text``, if one is."""
    fence: tuple[str, int] | None = None
    for line in _lines_with_ends(text):
        if fence is None:
            fence = _fence_opening(line)
        elif _closes(line, fence):
            fence = None
    return fence


def _prose(text: str, *, line_start: bool) -> str:
    """A plain run; ``line_start`` says whether it starts a line (only then can its first line open a fence)."""
    out: list[str] = []
    outside: list[str] = []
    fence: tuple[str, int] | None = None
    for number, line in enumerate(_lines_with_ends(text)):
        starts = line_start or number > 0
        if fence is None and starts and (opening := _fence_opening(line)) is not None:
            out.append(_inline("".join(outside)))
            outside = []
            fence = opening
            out.append(line)
        elif fence is not None:
            out.append(line)
            if _closes(line, fence):
                fence = None
        else:
            outside.append(line)
    out.append(_inline("".join(outside)))
    rendered = "".join(out)
    if fence is not None:
        rendered += ("" if rendered.endswith("\n") else "\n") + fence[0] * fence[1] + "\n"
    if rendered.endswith("\\") and not rendered.endswith("\\\\"):
        rendered += "\\"  # a trailing backslash would escape what opsbot writes next
    return rendered


def _label(text: str) -> str:
    return _inert(text).replace("[", "\\[").replace("]", "\\]")


def _code_span(text: str) -> str:
    """``text`` verbatim as one code span: its fence is longer than any backtick run inside."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{' '.join(text.splitlines())}{pad}{fence}"


def to_markdown(text: str) -> str:
    """``text`` as forge Markdown: escaped prose, opsbot's links, code and hidden markers live."""
    out: list[str] = []
    parts = segments(text)
    # Next to opsbot's own code spans, no backtick in prose may pair with theirs.
    with_code = any(isinstance(segment, Code) for segment in parts)
    for segment in parts:
        if isinstance(segment, str):
            before = out[-1] if out else "\n"
            prose = segment.replace("\\", "\\\\").replace("`", "\\`") if with_code else segment
            out.append(_prose(prose, line_start=before.endswith(("\n", "\r"))))
        elif isinstance(segment, Code):
            out.append(_code_span(segment.text))
        elif isinstance(segment, Mention):
            # A Slack user id means nothing to the forge: shown as an id, in code.
            slack_id = segment.platform == "slack" and _SLACK_ID.match(segment.id)
            out.append(f"`{segment.id}`" if slack_id else _inert(segment.handle))
        elif isinstance(segment, ChannelRef):
            out.append(_inert(f"#{segment.id}"))
        elif isinstance(segment, Link):
            out.append(f"[{_label(segment.label)}]({quote(segment.url, safe=URL_SAFE)})")
        elif isinstance(segment, Hidden):
            out.append(as_comment(segment.marker))
    return "".join(out)


def to_title(text: str) -> str:
    """``text`` as an issue title: one line of plain text (titles aren't Markdown), mentions inert."""
    return _MENTION_AT.sub("@" + WORD_JOINER, " ".join(plain(text).split()))


def _closing(kept: str) -> str:
    fence = open_fence(kept)
    return "" if fence is None else ("" if kept.endswith("\n") else "\n") + fence[0] * fence[1]


def _fit(rendered: str, limit: int, service: str, measure: Callable[[str], int] = len) -> str:
    note = "\n\n_" + TRUNCATED.format(service=service) + "_"
    return cut(rendered, limit, note, ATOMS, measure=measure, closing=_closing)


def _fit_title(title: str, limit: int) -> str:
    return cut(title, limit, " (truncated)", re.compile("@\u2060"))


def body(text: str, service: str, limit: int, *, suffix: str = "", measure: Callable[[str], int] = len) -> str:
    """A comment or description: rendered, cut so it and ``suffix`` (a reply marker) fit in ``limit``."""
    return _fit(to_markdown(text), limit - measure(suffix), service, measure) + suffix


def github_title(text: str) -> str:
    return _fit_title(to_title(text), GITHUB["title"])


def gitlab_title(text: str) -> str:
    return _fit_title(to_title(text), GITLAB["title"])


def github_body(text: str, *, suffix: str = "") -> str:
    return body(text, "GitHub", GITHUB["body"], suffix=suffix)


def gitlab_note(text: str, *, suffix: str = "") -> str:
    return body(text, "GitLab", GITLAB["note"], suffix=suffix)


def gitlab_description(text: str) -> str:
    return body(text, "GitLab", GITLAB["description_bytes"], measure=utf8_bytes)
