"""HomeViewers: the fake and the Redis store agree on who is kept fresh and on the one held refresh."""

from __future__ import annotations

import pytest

from bot.home.fakes import FakeHomeViewers
from bot.home.ports import HomeViewers
from bot.stores.home import RedisHomeViewers
from tests.contracts.conftest import Backend

KEPT = 20  # bot.home.ports.VIEWERS_KEPT in production; the bound is the same code at any size


@pytest.fixture
def viewers(backend: Backend) -> HomeViewers:
    if backend.server is None:
        return FakeHomeViewers(backend.clock, kept=KEPT)
    return RedisHomeViewers(backend.client, kept=KEPT)


async def test_a_viewer_is_kept_until_their_deadline(viewers: HomeViewers) -> None:
    await viewers.seen("U_CAROL", 1_000.0)
    await viewers.seen("U_ALICE", 2_000.0)
    assert await viewers.recent(500.0) == ["U_ALICE", "U_CAROL"]
    assert await viewers.recent(1_000.0) == ["U_ALICE"]  # at the deadline it has passed
    assert await viewers.recent(2_500.0) == []


async def test_opening_again_moves_the_deadline(viewers: HomeViewers) -> None:
    await viewers.seen("U_CAROL", 1_000.0)
    await viewers.seen("U_CAROL", 3_000.0)
    assert await viewers.recent(2_000.0) == ["U_CAROL"]
    await viewers.seen("U_CAROL", 1_500.0)  # the newest visit decides, even an earlier deadline
    assert await viewers.recent(2_000.0) == []


async def test_only_the_viewers_seen_last_are_kept(viewers: HomeViewers) -> None:
    for n in range(KEPT + 3):
        await viewers.seen(f"U{n:05d}", 10_000.0 + n)
    await viewers.seen("U00001", 50_000.0)  # seen again: one of the last
    kept = await viewers.recent(0.0)
    assert len(kept) == KEPT
    assert {"U00000", "U00002", "U00003"}.isdisjoint(kept)  # the earliest deadlines went
    assert {"U00001", "U00004", f"U{KEPT + 2:05d}"} <= set(kept)


async def test_one_refresh_is_held_until_its_window_ends(backend: Backend, viewers: HomeViewers) -> None:
    assert await viewers.hold_refresh(0.3) is True
    assert await viewers.hold_refresh(0.3) is False
    await backend.later(0.35)
    assert await viewers.hold_refresh(0.3) is True
