"""An in-memory ``MemoryStore`` beside its Protocol, with the Redis store's semantics.

One memory per digest and scope (adding it again uses it once more), the
word index per scope, and recall ranked the way the Redis script ranks it:
the three rarest query words, every combination of them by summed weight,
then the newest others scored 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.commands.types import MemoryType
from bot.memory.model import Memory

COMBINED_WORDS = 3  # query words whose combinations are searched
COMMON = 0.6  # a word in more of a scope's memories than this says little (with five or more)


@dataclass
class _Scope:
    ids: set[str] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)
    words: dict[str, set[str]] = field(default_factory=dict)


class FakeMemoryStore:
    def __init__(self) -> None:
        self._memories: dict[str, Memory] = {}
        self._digests: dict[str, str] = {}  # id -> digest
        self._words: dict[str, tuple[str, ...]] = {}  # id -> its words
        self._scopes: dict[str, _Scope] = {}

    async def add(self, memory: Memory, digest: str, words: Sequence[str]) -> Memory:
        scope = self._scopes.setdefault(memory.scope, _Scope())
        existing = scope.digests.get(digest)
        if existing is not None:
            found = self._memories[existing]
            self._memories[existing] = replace(found, uses=found.uses + 1, last_used=memory.last_used)
            return self._memories[existing]
        self._memories[memory.id] = memory
        self._digests[memory.id] = digest
        self._words[memory.id] = tuple(words)
        scope.ids.add(memory.id)
        scope.digests[digest] = memory.id
        for word in words:
            scope.words.setdefault(word, set()).add(memory.id)
        return memory

    async def get(self, memory_id: str) -> Memory | None:
        return self._memories.get(memory_id)

    async def delete(self, memory_id: str) -> Memory | None:
        memory = self._memories.pop(memory_id, None)
        if memory is None:
            return None
        scope = self._scopes[memory.scope]
        scope.ids.discard(memory_id)
        digest = self._digests.pop(memory_id)
        if scope.digests.get(digest) == memory_id:
            del scope.digests[digest]
        for word in self._words.pop(memory_id):
            scope.words.get(word, set()).discard(memory_id)
        return memory

    def _in(self, scope: str, type: MemoryType | None) -> list[Memory]:
        """Oldest first, as a sorted set by creation time lists them (ties by id)."""
        found = self._scopes.get(scope, _Scope()).ids
        chosen = [self._memories[i] for i in found if type is None or self._memories[i].type == type]
        return sorted(chosen, key=lambda m: (m.created_at, m.id))

    async def listing(self, scopes: Sequence[str], type: MemoryType | None, limit: int) -> list[Memory]:
        newest: list[Memory] = []
        for scope in scopes:
            newest += self._in(scope, type)[::-1][:limit]
        newest.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return newest[:limit]

    async def count(self, scope: str, type: MemoryType | None) -> int:
        return len(self._in(scope, type))

    async def least_recalled(self, scope: str, n: int) -> list[Memory]:
        return sorted(self._in(scope, None), key=lambda m: (m.uses, m.created_at, m.id))[:n]

    async def search(self, scope: str, words: Sequence[str], limit: int, newest: int = 0) -> list[tuple[Memory, float]]:
        everything = self._in(scope, None)
        total = len(everything)
        if total == 0:
            return []
        index = self._scopes[scope].words
        weighted: list[tuple[str, float]] = []
        for word in words:
            found = len(index.get(word, ()))
            if found > 0 and (found <= total * COMMON or total < 5):
                weighted.append((word, math.log((total + 1) / found) + 0.1))
        weighted.sort(key=lambda w: w[1], reverse=True)
        rarest = weighted[:COMBINED_WORDS]
        combos: list[tuple[list[str], float]] = []
        for mask in range(1, 2 ** len(rarest)):
            chosen = [rarest[i] for i in range(len(rarest)) if mask >> i & 1]
            combos.append(([w for w, _ in chosen], sum(weight for _, weight in chosen)))
        combos.sort(key=lambda c: c[1], reverse=True)
        scores: dict[str, float] = {}
        for combo, weight in combos:
            if len(scores) >= limit:
                break
            for memory_id in sorted(set.intersection(*(index[w] for w in combo))):
                if memory_id not in scores:
                    scores[memory_id] = weight
                    if len(scores) >= limit:
                        break
        for memory in everything[::-1][:newest]:
            scores.setdefault(memory.id, 0.0)
        return [(self._memories[memory_id], score) for memory_id, score in scores.items()]

    async def search_scopes(
        self, scopes: Sequence[str], words: Sequence[str], limit: int, newest: int = 0
    ) -> list[tuple[Memory, float]]:
        return [found for scope in scopes for found in await self.search(scope, words, limit, newest)]

    async def mark_used(self, memories: Sequence[Memory], at: float) -> None:
        for memory in memories:
            found = self._memories.get(memory.id)
            if found is not None:
                self._memories[memory.id] = replace(found, uses=found.uses + 1, last_used=at)

    async def everything(self) -> list[Memory]:
        return [memory for scope in sorted(self._scopes) for memory in self._in(scope, None)]
