"""opsbot's own formatting inside the plain strings the core composes.

Everything the core sends is text that each platform's renderer escapes by
default (``bot.clients.slack_markup``, ``bot.clients.forge_markup``, the
console), so what a person or an outside system wrote can't ping, link or
hide anything. The only formatting that survives is what the core asks for
through the functions here: a person, a channel, a link, a hidden marker.
Each one is a small token delimited by Unicode noncharacters (U+FDD0..U+FDEF,
which Unicode reserves for a program's internal use and which never need to
appear in text people exchange), so tokens live in ordinary ``str`` values
through f-strings, errors, the queue and Redis, and one renderer per
platform turns them into that platform's syntax.

Outside text must not be able to forge a token: :func:`strip_tokens` removes
the reserved characters where such text enters (a chat message, Claude's
answer, what is read back from a forge), and every renderer drops any stray
ones and checks a token's fields before trusting it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN, FIELD, CLOSE = "\ufdd0", "\ufdd1", "\ufdd2"
_RESERVED = re.compile("[\ufdd0-\ufdef]")
_TOKEN = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")
SAFE_URL = re.compile(r"^https?://[^\s\ufdd0-\ufdef]+$")


def strip_tokens(text: str) -> str:
    """``text`` without the characters tokens are made of: outside text can't pose as opsbot's own."""
    return _RESERVED.sub("", text)


@dataclass(frozen=True)
class Mention:
    """A person: a mention where the platform is theirs, their handle elsewhere."""

    platform: str
    id: str

    @property
    def handle(self) -> str:
        return self.id if self.platform in ("slack", "console") else f"{self.platform}:{self.id}"


@dataclass(frozen=True)
class ChannelRef:
    id: str  # a Slack channel id


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Hidden:
    marker: str  # "opsbot:…": an HTML comment on the forges, nothing elsewhere


@dataclass(frozen=True)
class Code:
    text: str  # opsbot's own literal text (a command to type), shown verbatim as code


Token = Mention | ChannelRef | Link | Hidden | Code
Segment = str | Token


def _token(kind: str, *fields: str) -> str:
    return OPEN + FIELD.join((kind, *(strip_tokens(f) for f in fields))) + CLOSE


def mention(platform: str, ident: str) -> str:
    return _token("person", platform, ident)


def mention_handle(handle: str) -> str:
    """A person named by their ops.yaml handle (``U…``, ``github:login``); "opsbot" stays a word."""
    platform, sep, ident = handle.partition(":")
    if sep and platform in ("github", "gitlab"):
        return mention(platform, ident)
    if handle[:1] in ("U", "W") and not sep:
        return mention("slack", handle)
    return handle


def channel(channel_id: str) -> str:
    return _token("channel", channel_id)


def link(url: str, label: str) -> str:
    """A link showing ``label``; a URL that isn't plain http(s) is shown as text, not linked."""
    url, label = strip_tokens(url), strip_tokens(label)
    if not SAFE_URL.match(url):
        return f"{label} ({url})" if url else label
    return _token("link", url, label)


def hidden(marker: str) -> str:
    return _token("hidden", marker)


def marker_safe(text: str) -> str:
    """``text`` without what could end the HTML comment a hidden marker becomes on a forge
    (a run of dashes is one dash, so no "--" is left however many there were)."""
    return re.sub("-{2,}", "-", text.replace(">", ""))


def code(text: str) -> str:
    """opsbot's own example of what to type, shown as code exactly as written (never outside text)."""
    return _token("code", text)


def _parse(body: str) -> Token | None:
    kind, *fields = body.split(FIELD)
    if kind == "person" and len(fields) == 2 and all(fields):
        return Mention(fields[0], fields[1])
    if kind == "channel" and len(fields) == 1 and fields[0]:
        return ChannelRef(fields[0])
    if kind == "link" and len(fields) == 2 and SAFE_URL.match(fields[0]):
        return Link(fields[0], fields[1] or fields[0])
    if kind == "hidden" and len(fields) == 1 and fields[0]:
        return Hidden(fields[0])
    if kind == "code" and len(fields) == 1 and fields[0]:
        return Code(fields[0])
    return None


def segments(text: str) -> list[Segment]:
    """``text`` as plain runs and tokens, in order; malformed tokens and stray reserved characters are dropped."""
    found: list[Segment] = []
    at = 0
    for match in _TOKEN.finditer(text):
        if match.start() > at:
            found.append(strip_tokens(text[at : match.start()]))
        token = _parse(match.group(1))
        if token is not None:
            found.append(token)
        at = match.end()
    if at < len(text):
        found.append(strip_tokens(text[at:]))
    return [s for s in found if s != ""]


def plain(text: str) -> str:
    """``text`` for a terminal or a log: people by handle, links as ``label (url)``, markers gone."""
    out: list[str] = []
    for segment in segments(text):
        if isinstance(segment, str):
            out.append(segment)
        elif isinstance(segment, Mention):
            out.append(segment.handle)
        elif isinstance(segment, ChannelRef):
            out.append(f"#{segment.id}")
        elif isinstance(segment, Link):
            out.append(segment.label if segment.label == segment.url else f"{segment.label} ({segment.url})")
        elif isinstance(segment, Code):
            out.append(segment.text)
    return "".join(out)
