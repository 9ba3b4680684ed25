"""What a lesson must be to be kept: short, general, and the team's own words.

Every lesson is 5–100 characters once its whitespace is normalised: longer
ones are refused (never silently cut), so whoever wrote it says it shorter.
Lessons the agent proposes (its ``remember`` tool, its answer's Remember
section) are checked further, each check refusing with a short reason:

- no code blocks (a fence is an example, not a lesson);
- nothing tied to one task: timestamps and dates, version numbers, commit
  SHAs, or nothing but a ticket/PR id;
- nothing that reads as an instruction to the agent about itself
  ("ignore …", "always approve", skipping approvals, tools, permissions,
  secrets, URLs): such text in a PR body or a tool result is how an
  injected lesson would persist into every later prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.memory.similarity import near_duplicates

MIN_LENGTH = 5
MAX_LENGTH = 100

_FENCE = re.compile(r"```|~~~")
_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}:\d{2}(:\d{2})?\b"
    r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(st|nd|rd|th)?\b"
    r"|\b\d{1,2}(st|nd|rd|th)? (jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(yesterday|today|tomorrow|last (night|week|monday|tuesday|wednesday|thursday|friday))\b",
    re.IGNORECASE,
)
_VERSION = re.compile(r"\bv?\d+\.\d+(\.\d+)+\b|\bv\d+(\.\d+)?\b|\b\d+\.\d+\.x\b", re.IGNORECASE)
_SHA = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b", re.IGNORECASE)
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b|(?<![\w&])[#!]\d+\b")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|override|bypass)\b"
    r"|\balways (approve|deploy|merge|allow|accept|trust|run)\b"
    r"|\b(skip|without|no)( the| any)? (approval|approvals|review|reviews|checks?|tests?|locks?)\b"
    r"|--force\b|\b(system prompt|instructions?|tools?|permissions?|secrets?|tokens?|passwords?|credentials?)\b"
    r"|\bapi[ _-]?keys?\b|https?://|\bwww\.",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"[.!?;:\n]+|\s[-–—]\s")


def tidy(content: str) -> str:
    """``content`` with its whitespace normalised: what is measured and kept."""
    return " ".join(content.split())


def length_problem(content: str) -> str | None:
    size = len(tidy(content))
    if size < MIN_LENGTH:
        return f"a lesson needs at least {MIN_LENGTH} characters; this one has {size}"
    if size > MAX_LENGTH:
        return (
            f"a lesson is at most {MAX_LENGTH} characters and this one has {size}: "
            "say it in a shorter form, one general rule per lesson"
        )
    return None


def proposal_problem(content: str) -> str | None:
    """Why a lesson the agent proposes should not be kept, or None."""
    text = tidy(content)
    if _FENCE.search(text):
        return "it contains a code block; a lesson is a rule in words"
    if _DATE.search(text):
        return "it names a date or time, so it is about one task, not every future one"
    if _VERSION.search(text):
        return "it names a version number, so it is about one release, not every future one"
    if _SHA.search(text):
        return "it names a commit, so it is about one change, not every future one"
    if _TICKET.search(text) and len(_WORDS.findall(_TICKET.sub(" ", text).lower())) < 3:
        return "it is little more than a ticket or PR id"
    if _INSTRUCTION.search(text):
        return "it reads as an instruction to the agent (approvals, tools, permissions, secrets or links)"
    return None


def _plain(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def copied_problem(content: str, material: Sequence[str]) -> str | None:
    """Why a proposed lesson looks lifted from ``material`` (what the task read that the asker did not
    write: PR bodies, comments, tool results), or None. A lesson the agent copied from there is
    someone else's instruction reaching every later prompt."""
    lesson = _plain(content)
    if not lesson:
        return None
    for text in material:
        if f" {lesson} " in f" {_plain(text)} ":
            return "its words come from the material this task read, not from the team"
        for sentence in _SENTENCE.split(text):
            if len(_WORDS.findall(sentence)) >= 3 and near_duplicates(sentence, content):
                return "it repeats a sentence of the material this task read, not the team's own words"
    return None
