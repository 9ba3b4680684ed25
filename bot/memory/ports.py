"""Where memories are kept: ``bot.stores.memory`` over Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.commands.types import MemoryType
from bot.memory.model import Memory


class MemoryStore(Protocol):
    async def add(self, memory: Memory, digest: str, words: Sequence[str]) -> Memory:
        """Store ``memory``; if its digest exists in the scope, the existing one, used once more."""

    async def get(self, memory_id: str) -> Memory | None: ...

    async def delete(self, memory_id: str) -> Memory | None: ...

    async def listing(self, scopes: Sequence[str], type: MemoryType | None, limit: int) -> list[Memory]:
        """Newest first."""

    async def count(self, scope: str, type: MemoryType | None) -> int: ...

    async def least_recalled(self, scope: str, n: int) -> list[Memory]:
        """The ``n`` memories of ``scope`` to drop first: least recalled, then oldest; without loading the scope."""

    async def search(self, scope: str, words: Sequence[str], limit: int, newest: int = 0) -> list[tuple[Memory, float]]:
        """Up to ``limit`` memories sharing words with the query, with a rarity-weighted score;
        then up to ``newest`` of the newest others, scored 0."""

    async def search_scopes(
        self, scopes: Sequence[str], words: Sequence[str], limit: int, newest: int = 0
    ) -> list[tuple[Memory, float]]:
        """``search`` of each scope in turn, in one call: each scope ranked on its own
        (its own limit, newest and word rarity), the results one after the other."""

    async def mark_used(self, memories: Sequence[Memory], at: float) -> None: ...

    async def everything(self) -> list[Memory]: ...
