"""Connecting to Redis, or to the embedded in-process store when there is none.

``REDIS_URL`` is a plain server (``redis://``, ``rediss://``, ``unix://``) or
a Sentinel set, ``redis+sentinel://[[username]:password@]host1:26379[,host2:26379,...]/<service_name>[/<db>]``
with optional ``sentinel_password=``, ``sentinel_username=`` and ``ssl=true``
(the whole form is in :mod:`bot.store_url`; how a failover is followed is
in :mod:`bot.stores.sentinel`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable
from bot.store_url import is_sentinel_url, parse_sentinel_url
from bot.stores.sentinel import sentinel_master

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
P = ParamSpec("P")
T = TypeVar("T")


def retry_once() -> Retry:
    """How a command meets a broken connection: sent once more, at once, on a fresh one.

    A pooled connection can be dead without the client knowing: Redis restarted
    on a host that vanished, or behind a proxy or NAT that forgot the connection.
    Its next command fails with a ConnectionError (reset, closed by the server)
    although Redis is up again; redis-py's ``from_url`` clients retry nothing, so
    that request would be answered 503. Once more on a new connection is enough
    for that, and costs nothing when Redis is down (refused at once). Timeouts
    are not retried: a second wait of SOCKET_TIMEOUT would only make a real
    outage slower to report. A command whose reply was lost after Redis ran it
    runs twice, which the queue's writes mostly shrug off (a dedupe key already
    set, an entry already acknowledged, a delayed job already in its set); a job
    handed back twice runs twice, as a redelivery that checks what it did.
    """
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


def connect(url: str | None) -> tuple[redis.Redis, bool]:
    """A client for ``url``, or for a fresh embedded store; and whether it is embedded."""
    if url is None:
        import fakeredis  # only the embedded mode needs it

        log.warning(EMBEDDED_WARNING)
        return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()), True
    if is_sentinel_url(url):
        master = sentinel_master(
            parse_sentinel_url(url),
            connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            health_check_interval=HEALTH_CHECK_INTERVAL,
            retry=retry_once(),
        )
        return master, False
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=HEALTH_CHECK_INTERVAL,
        retry=retry_once(),
    )
    return client, False


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
