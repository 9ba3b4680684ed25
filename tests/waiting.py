"""Polling for a condition with a deadline, from a plain thread or from a test's event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL = 0.02  # seconds between looks


def _met(done: Callable[[], bool], tolerate: tuple[type[Exception], ...]) -> bool:
    try:
        return done()
    except tolerate:  # e.g. a server that isn't up yet refuses the question itself
        return False


def wait_until(
    done: Callable[[], bool], timeout: float, what: str, *, tolerate: tuple[type[Exception], ...] = ()
) -> None:
    deadline = time.monotonic() + timeout
    while not _met(done, tolerate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL)


async def eventually(done: Callable[[], bool], timeout: float, what: str) -> None:
    """As :func:`wait_until`, letting the event loop run in between."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(POLL)
