"""Request recording and fault injection shared by every emulator.

Two kinds of trouble matter to a bot that must be idempotent:

* a request that fails and has no effect (``fail_next``: 429 with ``Retry-After``,
  502, 529...), which a client may or may not retry;
* a request that *did* take effect but whose reply never arrives (``hold``): the
  worker is killed, or times out, while it waits. The effect is applied and the
  request recorded before the reply is held, exactly the window a redelivered job
  has to cope with.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_POLL = 0.005


@dataclass
class ApiRequest:
    """One request as the emulator received it (and, once answered, its status)."""

    method: str
    path: str  # as sent, still percent-encoded: GitLab puts "acme%2Fapi" in paths
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any = None  # the decoded JSON body, if it was JSON
    form: dict[str, str] = field(default_factory=dict)  # a form-encoded body
    base_url: str = ""  # scheme://host as the client addressed us, for URLs in replies
    status: int = 0
    fault: bool = False  # answered by fail_next rather than by the emulated API
    # When it arrived (time.monotonic, one clock for every emulator), to order requests across services.
    received_at: float = field(default_factory=time.monotonic)


def _matches(method: str, pattern: re.Pattern[str], request: ApiRequest) -> bool:
    return method in ("*", request.method) and pattern.search(request.path) is not None


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    body: Any
    after_effect: bool


class HeldRequest:
    """Handle on a held reply: ``wait_reached`` / ``reached``, then ``release``."""

    def __init__(self, method: str, pattern: re.Pattern[str]) -> None:
        self.method = method
        self.pattern = pattern
        self.request: ApiRequest | None = None
        self.client_gone = False  # the client hung up while its reply was held
        self._reached = threading.Event()
        self._released = threading.Event()

    def wait_reached(self, timeout: float = 5.0) -> bool:
        """Block this thread until the held request has taken effect."""
        return self._reached.wait(timeout)

    async def reached(self, timeout: float = 5.0) -> bool:
        """As ``wait_reached``, for a test whose client runs on the same event loop."""
        deadline = time.monotonic() + timeout
        while not self._reached.is_set():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL)
        return True

    def release(self) -> None:
        self._released.set()

    async def hold(self, request: ApiRequest, disconnected: Callable[[], Awaitable[bool]]) -> None:
        self.request = request
        self._reached.set()
        # Polling a threading.Event keeps release() callable from any thread
        # without knowing the server's event loop.
        while not self._released.is_set():
            if await disconnected():
                self.client_gone = True
                return
            await asyncio.sleep(_POLL)


class Faults:
    """Thread-safe: tests arm faults from their thread, the server consumes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[Failure] = []
        self._holds: list[HeldRequest] = []
        self._armed_holds: list[HeldRequest] = []
        self._requests: list[ApiRequest] = []

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        *,
        after_effect: bool = False,
    ) -> None:
        failure = Failure(
            method.upper(), re.compile(path_regex), status, times, dict(headers or {}), body, after_effect
        )
        with self._lock:
            self._failures.append(failure)

    def hold(self, method: str, path_regex: str) -> HeldRequest:
        handle = HeldRequest(method.upper(), re.compile(path_regex))
        with self._lock:
            self._armed_holds.append(handle)
            self._holds.append(handle)
        return handle

    def take_failure(self, request: ApiRequest) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if _matches(failure.method, failure.pattern, request):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def take_hold(self, request: ApiRequest) -> HeldRequest | None:
        with self._lock:
            for handle in self._armed_holds:
                if _matches(handle.method, handle.pattern, request):
                    self._armed_holds.remove(handle)
                    return handle
        return None

    def record(self, request: ApiRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[ApiRequest]:
        with self._lock:
            return list(self._requests)

    def release_all(self) -> None:
        with self._lock:
            holds = list(self._holds)
        for handle in holds:
            handle.release()

    def reset(self) -> None:
        self.release_all()
        with self._lock:
            self._failures.clear()
            self._holds.clear()
            self._armed_holds.clear()
            self._requests.clear()
