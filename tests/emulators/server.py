"""Serve an ASGI app on 127.0.0.1 from a background thread with its own event loop.

The clients under test are real libraries doing real HTTP, some of them synchronous
(PyGithub, python-gitlab): the server therefore cannot share the test's event loop,
or a blocking client call would wait forever for a server that never gets to run.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT = 5.0
_STOP_TIMEOUT = 5.0


class _Server(uvicorn.Server):
    """A uvicorn server that reports readiness and stops as soon as it is asked to.

    uvicorn's own main loop polls ``should_exit`` every 100 ms; waiting on an event
    instead keeps start/stop cheap enough to use one server per test.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.ready.set()
        await self._stop.wait()

    def request_stop(self) -> None:
        self.should_exit = True
        if self.loop is not None and self._stop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop.set)


class Served:
    """Runs ``app`` until :meth:`stop`; ``url`` is ``http://127.0.0.1:<port>``.

    ``before_stop`` runs first on stop, so an emulator can let go of requests it is
    holding: uvicorn waits for in-flight responses before it shuts down.
    """

    def __init__(self, app: ASGIApp, *, before_stop: Callable[[], None] | None = None) -> None:
        self._app = app
        self._before_stop = before_stop
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._url

    def start(self) -> Self:
        if self._server is not None:
            return self
        # Binding port 0 ourselves gives a free port with no race between
        # "find a free port" and "listen on it". The explicit IPPROTO_TCP matters:
        # asyncio only sets TCP_NODELAY on sockets that say they are TCP, and
        # without it every reply waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            ws="none",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name=f"emulator-{port}",
            daemon=True,
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        if not server.ready.wait(_START_TIMEOUT):
            self.stop()
            raise RuntimeError("the emulator server did not start")
        self._url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        if server is None or thread is None or sock is None:
            return
        if self._before_stop is not None:
            self._before_stop()
        server.request_stop()
        thread.join(_STOP_TIMEOUT)
        sock.close()
        self._server = self._thread = self._socket = None
        self._url = None
        if thread.is_alive():
            raise RuntimeError("the emulator server did not stop")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
