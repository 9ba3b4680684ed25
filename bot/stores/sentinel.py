"""A client of whichever server Redis Sentinel names master, following failovers.

redis-py asks the Sentinels for the master's address only when it opens a
connection. A master that dies breaks its connections (at once when its
process exits, after the socket timeout when its node vanishes), so they fail
(StoreUnavailable, which the worker retries) and reopen to the new master once
the Sentinels have promoted one. A
planned failover (``SENTINEL FAILOVER``, a rolling upgrade) leaves the old
master up and writable until Sentinel demotes it, about ten seconds later:
pooled connections would go on writing there, and those writes are dropped
when it resyncs from the new master. So the pool asks again at most once a
second when it hands out a connection, and closes a connection to any other
address before use.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store_url import SentinelUrl

MASTER_RECHECK = 1.0  # seconds between asking the Sentinels where the master is
# When no Sentinel answers, the connections to the master still work or fail
# by themselves; asking every second would stall a checkout each second for
# up to SENTINEL_TIMEOUT per Sentinel.
SENTINELS_SILENT_RECHECK = 5.0
# A Sentinel answers from memory; a slow one is passed over for the next
# rather than holding up a new connection for the full socket timeout.
SENTINEL_TIMEOUT = 2.0


class FollowingPool(SentinelConnectionPool):
    """A pool whose connections all lead to the master the Sentinels name now."""

    _next_check = float("-inf")

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + MASTER_RECHECK  # set before awaiting: one check at a time
            try:
                # Also closes the idle connections when the address changed.
                await self.get_master_address()  # type: ignore[no-untyped-call]  # unannotated in redis-py
            except (RedisConnectionError, RedisTimeoutError):  # MasterNotFoundError is a ConnectionError
                self._next_check = now + SENTINELS_SILENT_RECHECK
        master = self.master_address
        # Connections in use while the address changed come back still open.
        stale = isinstance(connection, SentinelManagedConnection) and (connection.host, connection.port) != master
        if stale and master is not None and connection.is_connected:
            await connection.disconnect()
        await super().ensure_connection(connection)


class SentinelMaster(redis.Redis):
    """Closing it also closes the Sentinel connections, which redis-py leaves open."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = self.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            sentinels: Sentinel = pool.sentinel_manager
            await sentinels.aclose()


def sentinel_master(
    url: SentinelUrl, *, connect_timeout: float, socket_timeout: float, health_check_interval: int, retry: Retry
) -> redis.Redis:
    to_sentinels: dict[str, Any] = {
        "socket_connect_timeout": SENTINEL_TIMEOUT,
        "socket_timeout": SENTINEL_TIMEOUT,
        "ssl": url.ssl,
    }
    if url.sentinel_username:
        to_sentinels["username"] = url.sentinel_username
    if url.sentinel_password is not None:
        to_sentinels["password"] = url.sentinel_password.reveal()
    sentinels = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]  # unannotated before redis-py 8.2
        list(url.sentinels),
        sentinel_kwargs=to_sentinels,
        socket_connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        health_check_interval=health_check_interval,
        retry=retry,
    )
    # A write refused as READONLY (the server was demoted) also drops its
    # connection: redis-py raises it as a ConnectionError, so ``retry`` sends it
    # once more on a connection to the master the Sentinels name now; while
    # they name none, the store reports StoreUnavailable and the job retries.
    master: redis.Redis = sentinels.master_for(
        url.service,
        redis_class=SentinelMaster,
        connection_pool_class=FollowingPool,
        db=url.db,
        username=url.username,
        password=url.password.reveal() if url.password is not None else None,
        ssl=url.ssl,
    )
    return master
