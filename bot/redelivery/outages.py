"""Queue a recovery pass once the store answers again.

The door calls :meth:`OutageWatch.noticed` when it can't queue an event (it
answered 503); a worker calls it as it starts, in case the process before it
crashed with webhooks refused. From then on a background task asks the store
every ``poll`` seconds whether it answers, and when it does queues one
:class:`RecoveryDue`, due ``settle`` seconds later so GitHub's delivery log
has caught up with the last refusals. Nothing of this runs in a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.errors import StoreUnavailable
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue
from bot.redelivery.model import RecoveryDue

log = logging.getLogger(__name__)

POLL = 1.0  # seconds between two looks at a store that doesn't answer
SETTLE = 5.0  # seconds between the store's return and the pass


class OutageWatch:
    def __init__(
        self,
        store_answers: Callable[[], Awaitable[bool]],
        queue: JobQueue,
        clock: Callable[[], float],
        *,
        poll: float = POLL,
        settle: float = SETTLE,
    ) -> None:
        self._store_answers = store_answers
        self._queue = queue
        self._clock = clock
        self._poll = poll
        self._settle = settle
        self._again = False
        self._reason = ""
        self._task: asyncio.Task[None] | None = None

    def noticed(self, reason: str = "store unavailable at the door") -> None:
        """Something may have been refused: queue a pass once the store answers. Cheap and
        safe to call on every refusal; one watch runs at a time."""
        self._again, self._reason = True, reason
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    @property
    def watching(self) -> bool:
        """A watch is on: the store hasn't answered yet, or the pass is being queued."""
        return self._task is not None and not self._task.done()

    async def _watch(self) -> None:
        while True:
            if not await self._queued():
                await asyncio.sleep(self._poll)
            elif not self._again:
                return  # else refused again while the pass was being queued: another round

    async def _queued(self) -> bool:
        try:
            if not await self._store_answers():
                return False
            # Whatever was refused until now, the pass queued here lists.
            self._again, reason = False, self._reason
            due = RecoveryDue(requested_at=self._clock(), reason=reason)
            await self._queue.enqueue(Job.of(due), delay=self._settle)
        except StoreUnavailable:
            return False
        log.info("webhook recovery queued", extra={"reason": reason, "in_seconds": self._settle})
        return True

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
