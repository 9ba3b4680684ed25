"""In-memory ``HookDeliveries`` and ``SeenEvents`` for the rule tests.

The hook behaves as GitHub's does for what a pass relies on: it lists
newest first, and a redelivery is a new attempt with the same GUID, whose
answer the test decides (``answer``) as opsbot's door would.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.errors import UpstreamRejected
from bot.fakes import Clock
from bot.jobs.fakes import FakeJobQueue
from bot.redelivery.model import HookDelivery

LISTED = 1000  # at most, as the GitHub client reads at most ten pages of 100


class FakeHookDeliveries:
    def __init__(self, clock: Clock, *, answer: Callable[[HookDelivery], int] = lambda _: 202) -> None:
        self.hook = "the fake hook"
        self.deliveries: list[HookDelivery] = []
        self.asked: list[int] = []  # delivery ids, in the order asked
        self.refuse: set[int] = set()  # delivery ids the forge won't redeliver (too old, gone)
        self._clock = clock
        self._answer = answer
        self._ids = itertools.count(1)

    def delivered(self, guid: str, status_code: int, *, at: float | None = None, event: str = "issue_comment") -> int:
        """An attempt to deliver ``guid`` that opsbot answered ``status_code``; its id."""
        delivery = HookDelivery(next(self._ids), guid, self._clock() if at is None else at, status_code, event)
        self.deliveries.append(delivery)
        return delivery.id

    async def recent(self, since: float) -> Sequence[HookDelivery]:
        newest = sorted(self.deliveries, key=lambda d: (-d.delivered_at, -d.id))
        return [d for d in newest if d.delivered_at >= since][:LISTED]

    async def redeliver(self, delivery_id: int) -> None:
        [original] = [d for d in self.deliveries if d.id == delivery_id]
        if delivery_id in self.refuse:
            raise UpstreamRejected("GitHub", "GitHub could not process it", status=422)
        self.asked.append(delivery_id)
        again = replace(original, id=next(self._ids), delivered_at=self._clock(), redelivery=True)
        self.deliveries.append(replace(again, status_code=self._answer(again)))


class FakeSeenEvents:
    """The door's dedupe records, read from the fake queue the door queues on."""

    def __init__(self, queue: FakeJobQueue) -> None:
        self._queue = queue

    async def seen(self, event_keys: Sequence[str]) -> set[str]:
        return {key for key in event_keys if self._queue.accepted(key)}
