"""Lessons the agent wrote into its answer: the Remember section and ``# Add To Memory:`` blocks.

``# Add To Memory:`` blocks are bookkeeping, so they are taken out of the
answer people read (opsbot lists what it remembered instead). The Remember
section is part of the answer's shape and stays, unless it says nothing
(``**Remember**: null``, ``none``, ``[]``): that line is for opsbot, not people.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.commands.types import MEMORY_TYPES, MemoryType

DEFAULT_TYPE: MemoryType = "guideline"  # "learnings for every future request" are rules, mostly
MAX_LESSONS = 10  # per answer; more is the model rambling, not learning

_BLOCK = re.compile(
    r"^[ \t]*#[ \t]*Add To Memory:[ \t]*\n(?P<body>.*?)^[ \t]*#[ \t]*$\n?", re.IGNORECASE | re.MULTILINE | re.DOTALL
)
_FIELD = re.compile(r"^[ \t]*(?P<key>type|content)[ \t]*:[ \t]*(?P<value>.*)$", re.IGNORECASE)
_EMPTY_FENCE = re.compile(r"^[ \t]*(```|~~~)[a-z]*[ \t]*\n\s*\1[ \t]*$\n?", re.MULTILINE)
_REMEMBER = re.compile(
    r"^[ \t>*_-]*(?:Remember[*_ \t]*:[*_ \t]*(?P<rest>.*)|#+[ \t]*[*_]*Remember[*_]*[ \t]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NOTHING_TO_REMEMBER = re.compile(
    r"^[ \t>*_-]*Remember[*_ \t]*:[*_` \t]*(?:null|none|\[[ \t]*\])[*_.` \t]*$\n?", re.IGNORECASE | re.MULTILINE
)
_BULLET = re.compile(r"^[ \t]*[-*•][ \t]+(?P<item>.+)$")
_SECTION = re.compile(r"^[ \t>*#_-]*(Summary|Approach)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Lesson:
    type: MemoryType
    content: str
    source: str  # "block" or "remember-section"


def _memory_type(word: str) -> MemoryType | None:
    cleaned = word.strip().strip("[]`*_").lower()
    return next((t for t in MEMORY_TYPES if t == cleaned), None)


def _from_block(body: str) -> Lesson | None:
    fields: dict[str, str] = {}
    current: str | None = None
    for line in body.splitlines():
        match = _FIELD.match(line)
        if match:
            current = match["key"].lower()
            fields[current] = match["value"].strip()
        elif current == "content" and line.strip():
            fields["content"] += " " + line.strip()
    kind = _memory_type(fields.get("type", ""))
    content = fields.get("content", "").strip()
    if kind is None or not content:
        return None
    return Lesson(kind, content, "block")


def _typed(item: str) -> Lesson | None:
    item = item.strip().strip('"').strip()
    if not item or item.lower() in ("null", "none"):
        return None
    head, colon, tail = item.partition(":")
    kind = _memory_type(head) if colon else None
    return Lesson(kind, tail.strip(), "remember-section") if kind else Lesson(DEFAULT_TYPE, item, "remember-section")


def _remember_items(text: str) -> list[str]:
    """The items of the Remember section: a JSON list, ``null``, or bullet lines under the heading."""
    # The last one: an answer may say "remember" in its prose before the section.
    match = next(reversed(list(_REMEMBER.finditer(text))), None)
    if match is None:
        return []
    rest = (match["rest"] or "").strip()
    after = text[match.end() :]
    if rest.startswith("["):
        candidate = rest + after[: after.find("]") + 1] if "]" not in rest else rest[: rest.rfind("]") + 1]
        try:
            parsed: object = json.loads(candidate)
        except ValueError:
            parsed = re.findall(r'"((?:[^"\\]|\\.)*)"', candidate)
        return [item for item in parsed if isinstance(item, str)] if isinstance(parsed, list) else []
    if rest and rest.lower().strip(".` ") not in ("null", "none", ""):
        return [rest]
    items: list[str] = []
    for line in after.splitlines()[1:]:
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet["item"])
        elif line.strip() and (items or _SECTION.match(line)):
            break
    return items


def lessons(answer: str) -> tuple[list[Lesson], str]:
    """(the lessons in ``answer``, the answer without its ``# Add To Memory:`` blocks or an empty Remember line)."""
    found = [lesson for m in _BLOCK.finditer(answer) if (lesson := _from_block(m["body"])) is not None]
    shown = re.sub(r"\n{3,}", "\n\n", _EMPTY_FENCE.sub("", _BLOCK.sub("", answer))).strip()
    found += [lesson for item in _remember_items(shown) if (lesson := _typed(item)) is not None]
    shown = re.sub(r"\n{3,}", "\n\n", _NOTHING_TO_REMEMBER.sub("", shown)).strip()
    return found[:MAX_LESSONS], shown
