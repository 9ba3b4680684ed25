"""uvicorn's httptools protocol with the deadlines it lacks, and a cap on connections.

uvicorn closes idle keep-alive connections, but once a request has begun it waits
for the rest of the head and the body as long as the client likes, and it accepts
any number of connections (``limit_concurrency`` answers 503 to requests, but
only once their head is complete). A client sending a byte a second could
hold a connection forever, and enough of them would exhaust the process's file
descriptors. This protocol:

- closes a connection whose request head is not complete ``header_timeout``
  seconds after the connection opened or the request began (408 if a request
  had begun);
- closes one whose body is not complete ``body_timeout`` seconds after its head
  (the app then sees a disconnect, which the door logs in one line);
- answers 503 and closes any connection beyond ``max_connections`` open at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bot.settings import HttpLimits

log = logging.getLogger(__name__)


def _raw_response(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


TOO_MANY_CONNECTIONS = _raw_response(b"503 Service Unavailable")
HEAD_TOO_SLOW = _raw_response(b"408 Request Timeout")


class SlowClientGuard(HttpToolsProtocol):
    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._deadline: asyncio.TimerHandle | None = None
        self._request_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(TOO_MANY_CONNECTIONS)
            transport.close()
            return
        # A connection that never sends a request is cut like one whose head trickles.
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.limits.header_timeout, self._head_too_slow)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.limits.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._request_begun = False
        self._disarm()

    def _arm(self, seconds: float, cut: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, cut)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._request_begun:
            log.info(
                "closed a connection whose request head was not complete in time",
                extra={"seconds": self.limits.header_timeout},
            )
            self.transport.write(HEAD_TOO_SLOW)
        self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = None
        # The app waiting for the body sees a disconnect and logs it (handlers.web).
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: HttpLimits) -> type[SlowClientGuard]:
    """The protocol class to give ``uvicorn.Config(http=...)``; uvicorn builds one per connection."""
    return type("SlowClientGuard", (SlowClientGuard,), {"limits": limits})
