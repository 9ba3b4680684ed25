"""Each store port's one suite, run against its in-memory fake and its Redis implementation.

A test here asks for ``backend``; it runs twice, once with the fake and once
with the store on the suite's real redis-server (not the embedded store:
that would check the fake against another fake). Only the Redis run needs
the server, so ``make unit`` runs the fake half alone.

The suites sit here, not under ``tests/bot/stores``, because each describes
a port (a Protocol in a feature package) rather than one implementation of it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest
import redis.asyncio as redis


class ManualClock:
    """Starts at the real time, so records dated by it mean the same to Redis's own TTLs."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    name: str
    clock: ManualClock
    server: redis.Redis | None

    @property
    def client(self) -> redis.Redis:
        assert self.server is not None, "the fake run has no Redis"
        return self.server

    async def later(self, seconds: float) -> None:
        """Let ``seconds`` pass: on the clock for the fake, and really for Redis, whose TTLs keep real time."""
        self.clock.now += seconds
        if self.server is not None:
            await asyncio.sleep(seconds)


@pytest.fixture(params=["fake", pytest.param("redis", marks=pytest.mark.needs_redis)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "fake":
        return Backend("fake", ManualClock(), None)
    client: redis.Redis = request.getfixturevalue("redis_client")
    return Backend("redis", ManualClock(), client)
