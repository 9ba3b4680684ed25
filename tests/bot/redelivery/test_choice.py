"""Which deliveries a recovery pass asks for: any log GitHub could show, any store state."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.redelivery.choice import refused_events, to_redeliver
from bot.redelivery.model import NO_ANSWER, HookDelivery

NOW = 1_800_000_000.0
WINDOW = 3 * 3600.0
GUIDS = [f"guid-{n}" for n in range(6)]
# What opsbot's door answers (202 queued, 200 a duplicate, 401/400/413 refusals), what a proxy in
# front of it answers when it is down (502, 504), the store's 503, and no answer at all.
STATUS_CODES = (NO_ANSWER, 200, 202, 400, 401, 413, 500, 502, 503, 504)


@st.composite
def delivery_logs(draw: st.DrawFn) -> list[HookDelivery]:
    count = draw(st.integers(min_value=0, max_value=25))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**9), min_size=count, max_size=count, unique=True))
    return [
        HookDelivery(
            id=ident,
            guid=draw(st.sampled_from(GUIDS)),
            # Some long before the window, some in it, a few stamped a little ahead (clock skew).
            delivered_at=draw(st.floats(min_value=NOW - 2 * WINDOW, max_value=NOW + 60)),
            status_code=draw(st.sampled_from(STATUS_CODES)),
            redelivery=draw(st.booleans()),
        )
        for ident in ids
    ]


guid_sets = st.sets(st.sampled_from(GUIDS))


def in_window(deliveries: list[HookDelivery], guid: str) -> list[HookDelivery]:
    return [d for d in deliveries if d.guid == guid and d.delivered_at >= NOW - WINDOW]


def eligible(deliveries: list[HookDelivery], handled: set[str], asked: set[str]) -> set[str]:
    """Events refused every time the window shows, neither handled since nor asked for."""
    return {
        guid
        for guid in GUIDS
        if (attempts := in_window(deliveries, guid))
        and all(d.status_code == NO_ANSWER or d.status_code >= 500 for d in attempts)
        and guid not in handled | asked
    }


@given(delivery_logs(), guid_sets, guid_sets, st.integers(min_value=0, max_value=8))
def test_only_refused_unhandled_unasked_events_in_the_window_are_chosen_newest_first_and_capped(
    deliveries: list[HookDelivery], handled: set[str], asked: set[str], limit: int
) -> None:
    chosen = to_redeliver(deliveries, now=NOW, window=WINDOW, handled=handled, asked=asked, limit=limit)
    wanted = eligible(deliveries, handled, asked)

    assert len(chosen) == min(limit, len(wanted))
    assert len({d.guid for d in chosen}) == len(chosen), "an event asked for twice in one pass"
    assert {d.guid for d in chosen} <= wanted
    for delivery in chosen:
        # The event's newest attempt, which GitHub sends again as it was.
        assert delivery == max(in_window(deliveries, delivery.guid), key=lambda d: (d.delivered_at, d.id))
    stamps = [(d.delivered_at, d.id) for d in chosen]
    assert stamps == sorted(stamps, reverse=True)
    # What the cap leaves out is older than anything chosen.
    for guid in wanted - {d.guid for d in chosen}:
        newest = max((d.delivered_at, d.id) for d in in_window(deliveries, guid))
        assert all(newest < stamp for stamp in stamps)


@given(delivery_logs())
def test_an_event_taken_once_is_never_refused_however_often_it_failed(deliveries: list[HookDelivery]) -> None:
    refused = {d.guid for d in refused_events(deliveries, now=NOW, window=WINDOW)}
    for guid in refused:
        assert all(d.status_code == NO_ANSWER or d.status_code >= 500 for d in in_window(deliveries, guid))
    for guid in set(GUIDS) - refused:
        attempts = in_window(deliveries, guid)
        assert not attempts or any(200 <= d.status_code < 500 for d in attempts)


def test_the_cases_people_ask_about() -> None:
    def at(minutes_ago: float) -> float:
        return NOW - minutes_ago * 60

    log = [
        HookDelivery(1, "refused", at(10), 503),
        HookDelivery(2, "no-answer", at(9), NO_ANSWER),
        HookDelivery(3, "taken", at(8), 202),
        HookDelivery(4, "refused-then-taken", at(7), 503),
        HookDelivery(5, "refused-then-taken", at(5), 202, redelivery=True),
        HookDelivery(6, "bad-signature", at(4), 401),
        HookDelivery(7, "too-old", at(4 * 60), 503),
        HookDelivery(8, "refused-twice", at(3), 502),
        HookDelivery(9, "refused-twice", at(2), 503, redelivery=True),
        HookDelivery(10, "handled-all-the-same", at(1), 503),
    ]
    chosen = to_redeliver(log, now=NOW, window=WINDOW, handled={"handled-all-the-same"}, asked=set())
    assert [(d.guid, d.id) for d in chosen] == [("refused-twice", 9), ("no-answer", 2), ("refused", 1)]
    asked_before = to_redeliver(log, now=NOW, window=WINDOW, handled=set(), asked={"refused", "refused-twice"})
    assert [d.guid for d in asked_before] == ["handled-all-the-same", "no-answer"]
