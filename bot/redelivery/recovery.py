"""One recovery pass: ask GitHub again for the webhooks opsbot refused while its store was down.

Passes run one at a time across every process (a mutex), on a worker, never
in the request path. Each event asked for is marked in the store, so a later
pass, here or in another process, asks for nothing twice; the mark is written
after GitHub took the request, so a pass that dies in between asks again next
time, which is harmless: the redelivery carries the same GUID and the door
drops what it has already accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import UpstreamRejected
from bot.failures import new_error_id
from bot.ports import Marks, Mutexes
from bot.redelivery.choice import MAX_PER_PASS, WINDOW, refused_events, to_redeliver
from bot.redelivery.model import HookDelivery, RecoveryDue, github_event_key
from bot.redelivery.ports import HookDeliveries, SeenEvents

log = logging.getLogger(__name__)

MUTEX = "webhook-recovery:github"
# Marks: "redeliver:github:" + GUID, an event asked for; LATEST_RUN, when the latest whole pass began.
ASKED = "redeliver:github:"
LATEST_RUN = "redeliver:github:latest-run"
LATEST_RUN_TTL = 24 * 3600.0
# An asked-for mark outlives the window it was chosen in: nothing older is ever chosen again.
ASKED_MARGIN = 3600.0
# A pass lists at most ten pages and asks for MAX_PER_PASS events one write apart (about a
# second each, as GitHub asks of integrations): well under this, which the mutex is held for.
PASS_TIME = 300.0


@dataclass(frozen=True)
class RecoveryPass:
    """What one pass found and did, for the logs (GUIDs, never bodies)."""

    hook: str
    skipped: bool = False  # a pass that began after the request already covered it
    listed: int = 0  # deliveries inside the window
    refused: int = 0  # events whose every attempt there was refused at our door
    handled: int = 0  # of those, accepted since all the same (a reply lost on its way back)
    already_asked: int = 0  # asked for by an earlier pass
    asked: tuple[str, ...] = ()  # GUIDs GitHub was asked to redeliver now
    not_redelivered: tuple[str, ...] = ()  # GUIDs GitHub would not redeliver (too old, gone)
    left_for_later: int = 0  # over MAX_PER_PASS

    def fields(self) -> dict[str, object]:
        return {
            "hook": self.hook,
            "skipped": self.skipped,
            "listed": self.listed,
            "refused": self.refused,
            "handled": self.handled,
            "already_asked": self.already_asked,
            "asked": len(self.asked),
            "not_redelivered": len(self.not_redelivered),
            "left_for_later": self.left_for_later,
        }


def _began(mark: str | None) -> float:
    """When the latest whole pass began; never, for a mark that is missing or doesn't read."""
    try:
        return float(mark) if mark is not None else float("-inf")
    except ValueError:
        return float("-inf")


class WebhookRecovery:
    def __init__(
        self,
        hooks: HookDeliveries,
        seen: SeenEvents,
        marks: Marks,
        mutexes: Mutexes,
        clock: Callable[[], float],
        *,
        window: float = WINDOW,
        limit: int = MAX_PER_PASS,
    ) -> None:
        """``mutexes`` must hold a name for longer than a pass takes (:data:`PASS_TIME`)."""
        self._hooks = hooks
        self._seen = seen
        self._marks = marks
        self._mutexes = mutexes
        self._clock = clock
        self._window = window
        self._limit = limit

    async def recover(self, due: RecoveryDue) -> RecoveryPass:
        async with self._mutexes.hold(MUTEX):
            if _began(await self._marks.get(LATEST_RUN)) >= due.requested_at:
                outcome = RecoveryPass(self._hooks.hook, skipped=True)
            else:
                began = self._clock()
                outcome = await self._pass(began)
                await self._marks.set(LATEST_RUN, LATEST_RUN_TTL, repr(began))
        log.info("webhook recovery", extra={**outcome.fields(), "reason": due.reason})
        return outcome

    async def _pass(self, now: float) -> RecoveryPass:
        listed = [d for d in await self._hooks.recent(now - self._window) if d.delivered_at >= now - self._window]
        refused = refused_events(listed, now=now, window=self._window)
        accepted = await self._seen.seen([github_event_key(d.guid) for d in refused])
        handled = {d.guid for d in refused if github_event_key(d.guid) in accepted}
        asked = {d.guid for d in refused if d.guid not in handled and await self._marks.get(ASKED + d.guid)}
        wanted = to_redeliver(listed, now=now, window=self._window, handled=handled, asked=asked, limit=len(listed))
        chosen = wanted[: self._limit]
        sent: list[str] = []
        not_redelivered: list[str] = []
        for delivery in chosen:
            if await self._ask(delivery):
                sent.append(delivery.guid)
            else:
                not_redelivered.append(delivery.guid)
            await self._marks.set(ASKED + delivery.guid, self._window + ASKED_MARGIN)
        return RecoveryPass(
            self._hooks.hook,
            listed=len(listed),
            refused=len(refused),
            handled=len(handled),
            already_asked=len(asked),
            asked=tuple(sent),
            not_redelivered=tuple(not_redelivered),
            left_for_later=len(wanted) - len(chosen),
        )

    async def _ask(self, delivery: HookDelivery) -> bool:
        """Ask for one redelivery; False when GitHub refuses it (said in the log, with an error id)."""
        try:
            await self._hooks.redeliver(delivery.id)
        except UpstreamRejected as exc:
            log.warning(
                "GitHub would not redeliver a webhook opsbot refused; redeliver it by hand from the hook's "
                "Recent Deliveries",
                extra={
                    "delivery": delivery.guid,
                    "event": delivery.event,
                    "hook": self._hooks.hook,
                    "error": str(exc),
                    "error_id": new_error_id(),
                },
            )
            return False
        log.info(
            "asked GitHub to redeliver a refused webhook", extra={"delivery": delivery.guid, "event": delivery.event}
        )
        return True
