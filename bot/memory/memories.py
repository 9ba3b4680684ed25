"""What the team taught the Ops agent, kept in Redis and recalled by relevance.

A memory belongs to a scope (bot.memory.scopes) and one of the agent's
eight categories. Content is redacted of secrets, 5–100 characters
(bot.memory.hygiene), and kept once: the same normalised text, or a near
duplicate of a memory in the same scope (bot.memory.similarity), reinforces
the memory already kept instead of adding a second. Each scope is bounded;
past the bound the least recalled, then oldest, go. Recall ranks by word
overlap weighted by rarity, then by use, and stops at a token budget.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.commands.types import MEMORY_TYPES, MemoryType
from bot.errors import CommandError
from bot.memory.hygiene import length_problem, tidy
from bot.memory.model import Memory, new_id
from bot.memory.ports import MemoryStore
from bot.memory.similarity import near_duplicates
from bot.redaction import redact

PER_SCOPE = 10_000  # memories kept per scope in all
DUPLICATE_CANDIDATES = 5  # memories of the scope sharing the most words, checked for a near duplicate
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
    def __init__(self, store: MemoryStore, clock: Callable[[], float], *, per_scope: int = PER_SCOPE) -> None:
        self._store = store
        self._clock = clock
        self._per_scope = per_scope

    @staticmethod
    def check(type: str, content: str) -> tuple[MemoryType, str]:
        """The lesson's category and its text as it would be kept (redacted, tidied), or a refusal."""
        kind = next((t for t in MEMORY_TYPES if t == type), None)
        if kind is None:
            raise CommandError(f"{type!r} is not a memory type; use one of {', '.join(MEMORY_TYPES)}.")
        clean = tidy(redact(content))
        problem = length_problem(clean)
        if problem is not None:
            raise CommandError(problem[0].upper() + problem[1:] + ".")
        return kind, clean

    async def remember(self, scope: str, type: str, content: str, *, author: str, source: str) -> Memory:
        """Keep a lesson in ``scope``, or reinforce the memory that already says it."""
        kind, clean = self.check(type, content)
        now = self._clock()
        same = await self._near_duplicate(scope, clean)
        if same is not None:
            # Taught again: the kept memory counts as used once more, as a recall would.
            await self._store.mark_used([same], now)
            return replace(same, uses=same.uses + 1, last_used=now)
        memory = Memory(new_id(), scope, kind, clean, author, source, now, now)
        stored = await self._store.add(memory, digest(clean), words(clean))
        await self._enforce_bound(scope)
        return stored

    async def _near_duplicate(self, scope: str, content: str) -> Memory | None:
        candidates = await self._store.search(scope, words(content), DUPLICATE_CANDIDATES)
        return next((m for m, _ in candidates if near_duplicates(m.content, content)), None)

    async def _enforce_bound(self, scope: str) -> None:
        excess = await self._store.count(scope, None) - self._per_scope
        if excess > 0:
            for memory in await self._store.least_recalled(scope, excess):
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
