"""What the team taught the Ops agent, kept in Redis and recalled by relevance.

A memory belongs to a scope (``global``, ``repo:acme/api``, ``service:api``,
``channel:C123``) and one of the agent's eight categories. Content is
redacted of secrets before it is stored, de-duplicated on its normalised
form, and bounded per category and per scope: past the bound the least
used, oldest memories go. Recall ranks by word overlap weighted by rarity,
then by use, and stops at a token budget.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.commands.types import MEMORY_TYPES, MemoryType
from bot.errors import CommandError
from bot.memory.model import Memory, new_id
from bot.memory.ports import MemoryStore
from bot.redaction import redact

MAX_CONTENT = 500  # characters; the seed asks for short learnings
PER_TYPE = 2_500  # memories kept per scope and category
PER_SCOPE = 10_000  # memories kept per scope in all
RELEVANT = 30  # memories fetched per scope by relevance…
NEWEST = 10  # …and by recency, for every task to review what the team knows
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "for",
        "with",
        "without",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "we",
        "you",
        "they",
        "i",
        "our",
        "your",
        "their",
        "not",
        "no",
        "do",
        "does",
        "did",
        "use",
        "using",
        "when",
        "then",
        "than",
        "as",
        "if",
        "so",
        "into",
        "out",
        "over",
        "under",
        "always",
        "never",
        "should",
        "must",
        "can",
        "will",
    ]
)
_WORD = re.compile(r"[a-z0-9][a-z0-9._-]{1,40}")


def normalise(content: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", content.lower()).split())


def digest(content: str) -> str:
    return hashlib.sha256(normalise(content).encode()).hexdigest()[:24]


def words(text: str) -> list[str]:
    """The searchable words of ``text``, once each, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        word = word.strip("._-")
        if len(word) >= 3 and word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)[:40]


class Memories:
    def __init__(self, store: MemoryStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    async def remember(self, scope: str, type: str, content: str, *, author: str, source: str) -> Memory:
        kind = next((t for t in MEMORY_TYPES if t == type), None)
        if kind is None:
            raise CommandError(f"{type!r} is not a memory type; use one of {', '.join(MEMORY_TYPES)}.")
        clean = " ".join(redact(content).split())[:MAX_CONTENT]
        if len(normalise(clean)) < 3:
            raise CommandError("That is too short to remember.")
        now = self._clock()
        memory = Memory(new_id(), scope, kind, clean, author, source, now, now)
        stored = await self._store.add(memory, digest(clean), words(clean))
        await self._enforce_bounds(scope, stored.type)
        return stored

    async def _enforce_bounds(self, scope: str, type: MemoryType) -> None:
        for kind, bound in ((type, PER_TYPE), (None, PER_SCOPE)):
            excess = await self._store.count(scope, kind) - bound
            if excess > 0:
                for memory in await self._store.least_valuable(scope, kind, excess):
                    await self._store.delete(memory.id)

    async def forget(self, memory_id: str, visible_scopes: Sequence[str]) -> Memory:
        memory = await self._store.get(memory_id)
        if memory is None or memory.scope not in visible_scopes:
            raise CommandError(f"There is no memory `{memory_id}` here.")
        await self._store.delete(memory_id)
        return memory

    async def listing(self, scopes: Sequence[str], type: MemoryType | None, limit: int = 25) -> list[Memory]:
        return await self._store.listing(scopes, type, limit)

    async def recall(self, scopes: Sequence[str], query: str, budget: int) -> list[Memory]:
        """The memories most relevant to ``query`` in ``scopes``, within ``budget`` tokens.

        With budget left after the relevant ones, the most used and newest of
        the scopes follow: every task starts by reviewing what the team knows.
        """
        query_words = words(query)
        ranked: dict[str, tuple[float, float, Memory]] = {}
        # Every scope in one store call: a task recalls from up to four (team, service, repo, channel),
        # each once, though the place and the services it names may both give it.
        unique = list(dict.fromkeys(scopes))
        for memory, score in await self._store.search_scopes(unique, query_words, RELEVANT, newest=NEWEST):
            # Relevance first; among equals, what proved useful, then what is recent.
            weight = score * (1.0 + 0.1 * min(memory.uses, 10))
            ranked[memory.id] = (weight, memory.created_at, memory)
        chosen: list[Memory] = []
        spent = 0
        for _, _, memory in sorted(ranked.values(), key=lambda entry: (-entry[0], -entry[1])):
            if spent + memory.tokens <= budget:
                chosen.append(memory)
                spent += memory.tokens
        if chosen:
            await self._store.mark_used(chosen, self._clock())
        return [replace(m, uses=m.uses + 1) for m in chosen]

    async def export(self) -> list[Memory]:
        return await self._store.everything()

    async def import_(self, memories: Sequence[Memory]) -> int:
        """Add memories from a backup; duplicates (by content) are skipped."""
        added = 0
        for memory in memories:
            before = await self._store.count(memory.scope, memory.type)
            await self._store.add(memory, digest(memory.content), words(memory.content))
            added += int(await self._store.count(memory.scope, memory.type) > before)
        return added
