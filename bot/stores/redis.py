"""Connecting to Redis, or to the embedded in-process store when there is none.

``REDIS_URL`` is a plain server (``redis://``, ``rediss://``, ``unix://``) or
a Sentinel set, ``redis+sentinel://[[username]:password@]host1:26379[,host2:26379,...]/<service_name>[/<db>]``
with optional ``sentinel_password=``, ``sentinel_username=`` and ``ssl=true``
(the whole form is in :mod:`bot.store_url`). With Sentinel every new
connection asks the Sentinels for the current master; after a failover the
connections to the old master fail once (StoreUnavailable, which the worker
retries) and the next ones go to the new master.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable
from bot.store_url import SentinelUrl, is_sentinel_url, parse_sentinel_url

log = logging.getLogger(__name__)

EMBEDDED_WARNING = (
    "REDIS_URL is not set: using the embedded in-process store. "
    "Nothing survives exit, and only this process can see the queue."
)

# Subclasses of RedisConnectionError include MasterNotFoundError (no Sentinel
# knows a healthy master, as during a failover) and the error redis-py raises
# when a master it was talking to has been demoted to a replica.
LOST_CONNECTION = (RedisConnectionError, RedisTimeoutError, OSError)
CONNECT_TIMEOUT = 5.0
SOCKET_TIMEOUT = 10.0
HEALTH_CHECK_INTERVAL = 30
# A Sentinel answers from memory; one that is slow is skipped for the next,
# rather than holding up every new connection for the full socket timeout.
SENTINEL_TIMEOUT = 2.0
P = ParamSpec("P")
T = TypeVar("T")


def connect(url: str | None) -> tuple[redis.Redis, bool]:
    """A client for ``url``, or for a fresh embedded store; and whether it is embedded."""
    if url is None:
        import fakeredis  # only the embedded mode needs it

        log.warning(EMBEDDED_WARNING)
        return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()), True
    if is_sentinel_url(url):
        return _sentinel_master(parse_sentinel_url(url)), False
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=HEALTH_CHECK_INTERVAL,
    )
    return client, False


class SentinelMaster(redis.Redis):
    """A client of the Sentinel set's current master.

    Closing it also closes the connections to the Sentinels, which redis-py
    leaves open when the master's client is closed.
    """

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = self.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            sentinels: Sentinel = pool.sentinel_manager
            await sentinels.aclose()


def _sentinel_master(url: SentinelUrl) -> redis.Redis:
    sentinel_auth: dict[str, Any] = {"ssl": url.ssl}
    if url.sentinel_username:
        sentinel_auth["username"] = url.sentinel_username
    if url.sentinel_password is not None:
        sentinel_auth["password"] = url.sentinel_password.reveal()
    sentinels = Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves Sentinel.__init__ unannotated
        list(url.sentinels),
        sentinel_kwargs={
            "socket_connect_timeout": SENTINEL_TIMEOUT,
            "socket_timeout": SENTINEL_TIMEOUT,
            **sentinel_auth,
        },
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=HEALTH_CHECK_INTERVAL,
    )
    # Every connection of this pool asks the Sentinels for the master's
    # address when it connects, and a write refused as READONLY (the server
    # was demoted) drops the connection, so a failover is followed without
    # building a new client.
    master: redis.Redis = sentinels.master_for(
        url.service,
        redis_class=SentinelMaster,
        db=url.db,
        username=url.username,
        password=url.password.reveal() if url.password is not None else None,
        ssl=url.ssl,
    )
    return master


@asynccontextmanager
async def store_call() -> AsyncIterator[None]:
    """Translate a lost connection into the core's StoreUnavailable."""
    try:
        yield
    except LOST_CONNECTION as exc:
        raise StoreUnavailable(f"Redis is unreachable ({exc.__class__.__name__})") from exc


def translating(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorator form of :func:`store_call` for store methods."""

    # A plain try/except rather than store_call(): this wraps every store
    # call, and an async context manager costs a generator and two awaits.
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except LOST_CONNECTION as exc:
            raise StoreUnavailable(f"Redis is unreachable ({exc.__class__.__name__})") from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def text(value: bytes | str | int | float) -> str:
    """A Redis reply value as text (clients may run with or without decoding)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def fields(reply: Any) -> dict[str, str]:
    """A hash as HGETALL answers it (a map, or a flat list from a script), as text."""
    if isinstance(reply, dict):
        return {text(k): text(v) for k, v in reply.items()}
    return {text(reply[i]): text(reply[i + 1]) for i in range(0, len(reply or []), 2)}


async def ping(client: redis.Redis) -> bool:
    try:
        async with store_call():
            return bool(await client.ping())
    except StoreUnavailable:
        return False
