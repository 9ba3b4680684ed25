"""An in-memory ``AlertGroupStore`` beside its Protocol, keeping what the Redis store keeps."""

from __future__ import annotations

import time
from typing import Any

from bot.alerts.ports import KEEP_FOR, AlertGroup, group_id
from bot.fakes import Clock, Expiring


class FakeAlertGroupStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self._groups: Expiring[str, dict[str, Any]] = Expiring(clock)

    async def load(self, group_id: str) -> AlertGroup | None:
        found = self._groups.get(group_id)
        return AlertGroup.from_json(found) if found is not None else None

    async def save(self, group: AlertGroup) -> None:
        # Through the JSON form the Redis store writes, so what it would drop is dropped here too.
        self._groups.put(group_id(group.group_key), group.to_json(), KEEP_FOR)
