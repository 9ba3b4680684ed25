"""Find ``@opsbot`` in a GitHub comment or GitLab note.

Only words a person typed as their own count: quoted lines (``> …``), fenced
and inline code, HTML comments (invisible in the rendered page, so a reader
would never see the instruction), and text inside the HTML elements the forges
render as quotes or code (``<blockquote>``, ``<pre>``, ``<code>``,
``<details>``) are removed before looking. A mention is a whole word:
``@opsbot-dev`` and ``me@opsbot.io`` are not ``@opsbot``.

Invisible characters (Unicode category Cf: zero-width space and joiner, word
joiner, soft hyphen, bidi marks) are kept while looking, so they break a
mention rather than make one: ``@\\u200bopsbot`` and ``@ops\\u200dbot`` are not
``@opsbot``. They are removed from the request once one is found.
"""

from __future__ import annotations

import re
import unicodedata

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
# Elements whose content the forges show as a quote, code or a folded block; their
# tags may carry attributes, any case, and nest. ``<details/>`` encloses nothing.
HIDING_TAG = re.compile(r"<(/?)(blockquote|pre|code|details)(?=[\s/>])[^>]*?(/?)>", re.IGNORECASE)

# Characters that change nothing on screen but can hide or split words.
_INVISIBLE_CATEGORIES = {"Cf"}
# What may not touch a mention: a word character, or what continues a handle, email or path.
_JOINS_A_HANDLE_BEFORE = re.compile(r"[\w@/.-]")
_JOINS_A_HANDLE_AFTER = re.compile(r"[\w-]")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def strip_invisible(text: str) -> str:
    """Remove zero-width and other format characters (keeping newlines and tabs)."""
    return "".join(ch for ch in text if not _invisible(ch))


def outside_hiding_elements(text: str) -> str:
    """``text`` without what sits inside ``<blockquote>``, ``<pre>``, ``<code>`` or ``<details>``.

    A closing tag closes the innermost open element of its name (and those opened
    inside it), as an HTML parser would; one with no open element is ignored. An
    element left open hides everything after it, as the forges render it.
    """
    kept: list[str] = []
    open_tags: list[str] = []
    position = 0
    for tag in HIDING_TAG.finditer(text):
        if not open_tags:
            kept.append(text[position : tag.start()])
        position = tag.end()
        closing, name, self_closing = tag.group(1) == "/", tag.group(2).lower(), tag.group(3) == "/"
        if closing:
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
        elif not self_closing:
            open_tags.append(name)
    if not open_tags:
        kept.append(text[position:])
    return "".join(kept)


def visible_prose(text: str) -> str:
    """The lines of ``text`` a person wrote in their own voice (invisible characters kept)."""
    text = HTML_COMMENT.sub("", text.replace("\r\n", "\n"))
    kept: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or line.lstrip().startswith(">") or line.startswith("    "):
            continue
        kept.append(INLINE_CODE.sub("", line))
    return outside_hiding_elements("\n".join(kept))


def _mention_pattern(bot_name: str) -> re.Pattern[str]:
    return re.compile(rf"@{re.escape(bot_name)}", re.IGNORECASE)


def _neighbour(line: str, index: int, step: int) -> str:
    """The first visible character from ``index`` going ``step``, past invisible ones ("" at an end)."""
    while 0 <= index < len(line):
        if not _invisible(line[index]):
            return line[index]
        index += step
    return ""


def _is_whole_word(line: str, match: re.Match[str]) -> bool:
    """Nothing joins the handle on either side, not even through an invisible character
    (``x\\u200b@opsbot`` reads as ``x@opsbot``, ``@opsbot\\u200bdev`` as ``@opsbotdev``)."""
    before, after = _neighbour(line, match.start() - 1, -1), _neighbour(line, match.end(), 1)
    return not _JOINS_A_HANDLE_BEFORE.match(before) and not _JOINS_A_HANDLE_AFTER.match(after)


def find_mention(text: str, bot_name: str) -> str | None:
    """Return what was said to the bot, or None when it wasn't mentioned.

    When the mention starts a line, the rest of that line is the request
    ("@opsbot deploy to staging"); otherwise the whole comment is, minus the
    mention itself, so a question phrased around the handle still reads well.
    """
    prose = visible_prose(text)
    pattern = _mention_pattern(bot_name)
    for line in prose.split("\n"):
        match = next((m for m in pattern.finditer(line) if _is_whole_word(line, m)), None)
        if match is None:
            continue
        if not strip_invisible(line[: match.start()]).strip():
            request = strip_invisible(line[match.end() :]).strip(" \t:,")
            if request:
                return request
        whole = "\n".join(_named_plainly(each, pattern, bot_name) for each in prose.split("\n"))
        return strip_invisible(whole).strip()
    return None


def _named_plainly(line: str, pattern: re.Pattern[str], bot_name: str) -> str:
    """``line`` with each mention of the bot written as its bare name."""
    return pattern.sub(lambda m: bot_name if _is_whole_word(line, m) else m.group(0), line)
