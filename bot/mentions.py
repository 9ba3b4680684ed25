"""Find ``@opsbot`` in a GitHub comment or GitLab note.

Only words a person typed as their own count: quoted lines (``> …``), fenced
and inline code, and HTML comments (invisible in the rendered page, so a
reader would never see the instruction) are removed before looking. A
mention is a whole word: ``@opsbot-dev`` and ``me@opsbot.io`` are not
``@opsbot``.
"""

from __future__ import annotations

import re
import unicodedata

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)

# Characters that change nothing on screen but can hide or split words.
_INVISIBLE_CATEGORIES = {"Cf"}


def strip_invisible(text: str) -> str:
    """Remove zero-width and other format characters (keeping newlines and tabs)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)


def visible_prose(text: str) -> str:
    """The lines of ``text`` a person wrote in their own voice."""
    text = HTML_COMMENT.sub("", strip_invisible(text.replace("\r\n", "\n")))
    kept: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or line.lstrip().startswith(">") or line.startswith("    "):
            continue
        kept.append(INLINE_CODE.sub("", line))
    return "\n".join(kept)


def _mention_pattern(bot_name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@/.-])@{re.escape(bot_name)}(?![\w-])", re.IGNORECASE)


def find_mention(text: str, bot_name: str) -> str | None:
    """Return what was said to the bot, or None when it wasn't mentioned.

    When the mention starts a line, the rest of that line is the request
    ("@opsbot deploy to staging"); otherwise the whole comment is, minus the
    mention itself, so a question phrased around the handle still reads well.
    """
    prose = visible_prose(text)
    pattern = _mention_pattern(bot_name)
    for line in prose.split("\n"):
        match = pattern.search(line)
        if match is None:
            continue
        if not line[: match.start()].strip():
            request = line[match.end() :].strip(" \t:,")
            if request:
                return request
        return pattern.sub(bot_name, prose).strip()
    return None
