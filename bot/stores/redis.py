"""Connecting to Redis, or to the embedded in-process store when there is none."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable

log = logging.getLogger(__name__)

EMBEDDED_WARNING = (
    "REDIS_URL is not set: using the embedded in-process store. "
    "Nothing survives exit, and only this process can see the queue."
)

LOST_CONNECTION = (RedisConnectionError, RedisTimeoutError, OSError)
P = ParamSpec("P")
T = TypeVar("T")


def connect(url: str | None) -> tuple[redis.Redis, bool]:
    """A client for ``url``, or for a fresh embedded store; and whether it is embedded."""
    if url is None:
        import fakeredis  # only the embedded mode needs it

        log.warning(EMBEDDED_WARNING)
        return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()), True
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30), False


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
