"""Which of a hook's recent deliveries to ask for again: the rule, on plain values.

An event is one GUID; each attempt to deliver it (the first, redeliveries) is
one :class:`HookDelivery`. An event is worth asking for when every attempt the
window holds was refused at our door, opsbot has not handled it since (the
door's dedupe record says so) and no pass asked for it before. Asking for one
delivery of it is enough: GitHub sends the same GUID and body again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.redelivery.model import HookDelivery

WINDOW = 3 * 3600.0  # seconds: what an outage of Redis plausibly lasts, not GitHub's whole three days
# GitHub rate-limits redeliveries and each one is a request of ours; more refused events than
# this in one pass are left to the next pass (or to the operator, if they fall out of the window).
MAX_PER_PASS = 100


def _newest_first(delivery: HookDelivery) -> tuple[float, int]:
    return -delivery.delivered_at, -delivery.id


def refused_events(deliveries: Iterable[HookDelivery], *, now: float, window: float) -> list[HookDelivery]:
    """For each event whose every attempt inside the window was refused, its newest attempt; newest first."""
    since = now - window
    newest: dict[str, HookDelivery] = {}
    taken: set[str] = set()
    for delivery in deliveries:
        if delivery.delivered_at < since:
            continue
        if not delivery.refused:
            taken.add(delivery.guid)
            continue
        known = newest.get(delivery.guid)
        if known is None or _newest_first(delivery) < _newest_first(known):
            newest[delivery.guid] = delivery
    return sorted((d for guid, d in newest.items() if guid not in taken), key=_newest_first)


def to_redeliver(
    deliveries: Iterable[HookDelivery],
    *,
    now: float,
    window: float,
    handled: Collection[str],
    asked: Collection[str],
    limit: int = MAX_PER_PASS,
) -> list[HookDelivery]:
    """The deliveries to ask for again, newest first, at most ``limit``.

    ``handled`` and ``asked`` are GUIDs: events the door has accepted, and events
    an earlier pass asked for (a redelivery of which may not show yet).
    """
    wanted = [
        d for d in refused_events(deliveries, now=now, window=window) if d.guid not in handled and d.guid not in asked
    ]
    return wanted[: max(0, limit)]
