"""A TCP relay in front of a server that can forget the connections it carries.

When Redis restarts on the same machine, its clients hear their connections
close, and redis-py replaces a closed one before using it. When the host it ran
on vanishes, or a NAT, a proxy or a Kubernetes Service in between loses its
state, nobody tells them: the connection looks fine in the pool until a command
is sent on it and the far end answers with a reset. ``forget`` does that to
every connection open at the time; connections made afterwards are relayed as
before (to a server that may have restarted meanwhile).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tests.redis_server import free_port

CHUNK = 64 * 1024


@dataclass(eq=False)
class _Carried:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    forgotten: bool = False


class ForgetfulRelay:
    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self.port = free_port()
        self.resets = 0  # forgotten connections a client then sent something on
        self._carried: set[_Carried] = set()
        self._relaying: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-relay", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def open_connections(self) -> int:
        return len(self._carried)

    def __enter__(self) -> ForgetfulRelay:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def forget(self) -> None:
        """Every connection open now loses its far end without a word to the client."""
        self._call(self._forget())

    def _call(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for carried in list(self._carried):
            carried.client.transport.abort()
            carried.server.transport.abort()
        for task in self._relaying:
            task.cancel()
        await asyncio.gather(*self._relaying, return_exceptions=True)
        # A transport closes its socket a loop iteration after abort(): let that happen before the loop stops.
        await asyncio.sleep(0.01)

    async def _forget(self) -> None:
        for carried in self._carried:
            carried.forgotten = True
            carried.server.transport.abort()

    async def _relay(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relaying.add(task)
        task.add_done_callback(self._relaying.discard)
        try:
            server_reader, server = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            client.close()  # nothing listens behind the relay: as a proxy does, close
            return
        carried = _Carried(client, server)
        self._carried.add(carried)
        try:
            await asyncio.gather(self._to_server(client_reader, carried), self._to_client(server_reader, carried))
        finally:
            self._carried.discard(carried)
            for writer in (client, server):
                if not writer.transport.is_closing():
                    writer.transport.abort()

    async def _to_server(self, reader: asyncio.StreamReader, carried: _Carried) -> None:
        while data := await _read(reader):
            if carried.forgotten:
                self.resets += 1
                _reset(carried.client)
                return
            carried.server.write(data)
            await carried.server.drain()
        if not carried.forgotten:
            carried.server.close()

    async def _to_client(self, reader: asyncio.StreamReader, carried: _Carried) -> None:
        while (data := await _read(reader)) and not carried.forgotten:
            carried.client.write(data)
            await carried.client.drain()
        if not carried.forgotten:
            carried.client.close()  # the server closed: the client hears of it


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(CHUNK)
    except OSError:
        return b""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset, as a host answers a segment for a connection it doesn't know."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
