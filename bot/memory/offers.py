"""Lessons waiting for a memory writer: offered with a Keep button, held for a week in Marks."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from bot.commands.types import MEMORY_TYPES, MemoryType
from bot.ports import Marks

KEEP_ACTION = "memory_keep"  # the Keep button's Slack action id: a click types `keep <offer id>`
OFFER_TTL = 7 * 24 * 3600.0  # a lesson nobody kept in a week was not worth keeping
OFFER_KEY = "memory-offer:"  # + offer id


@dataclass(frozen=True)
class Offer:
    id: str
    scope: str  # the stored key of the scope it would be kept in
    type: MemoryType
    content: str  # already checked and cleaned, as it would be kept
    author: str  # the proposer's ops.yaml handle: the memory's author once kept
    source: str

    @classmethod
    def new(cls, scope: str, type: MemoryType, content: str, author: str, source: str) -> Offer:
        return cls("o-" + secrets.token_hex(4), scope, type, content, author, source)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Offer | None:
        try:
            found = json.loads(raw)
            kind = next(t for t in MEMORY_TYPES if t == found["type"])
            return cls(found["id"], found["scope"], kind, found["content"], found["author"], found["source"])
        except (ValueError, KeyError, TypeError, StopIteration):
            return None


class Offers:
    def __init__(self, marks: Marks) -> None:
        self._marks = marks

    async def offer(self, offer: Offer) -> Offer:
        await self._marks.set(OFFER_KEY + offer.id, OFFER_TTL, offer.to_json())
        return offer

    async def get(self, offer_id: str) -> Offer | None:
        raw = await self._marks.get(OFFER_KEY + offer_id)
        return Offer.from_json(raw) if raw else None

    async def taken(self, offer_id: str) -> None:
        """Kept: a second click finds nothing waiting (Marks has no delete, so the value is emptied)."""
        await self._marks.set(OFFER_KEY + offer_id, OFFER_TTL, "")
