"""The load generator: N keep-alive HTTP/1.1 connections on raw sockets, one request in flight each.

Run as its own process (``python -m tests.bench.load SPEC.json RESULT.json``)
so it does not share an interpreter with the server it measures; it writes
one JSON :class:`LoadResult` to RESULT.json. Each connection sends the next
pre-rendered request as soon as the previous response is complete; a
response is complete when its ``Content-Length`` bytes have arrived.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import uvloop

from tests.bench.workloads import (
    AlertRequests,
    AlertSource,
    GitHubRequests,
    GitHubSource,
    PoolSource,
    Source,
    slack_pool,
)

DRAIN_TIMEOUT = 10.0  # seconds allowed for in-flight responses after sending stops


class ProtocolError(Exception):
    pass


@dataclass(frozen=True)
class Spec:
    kind: Literal["github", "slack", "alerts"]
    host: str
    port: int
    connections: int
    warmup: float
    duration: float
    tag: str
    body_file: str = ""  # github: the signed payload
    pool: int = 0  # slack: how many signed commands to prepare
    token: str = ""  # alerts: the bearer token Alertmanager sends

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Spec:
        return cls(**json.loads(path.read_text()))


@dataclass(frozen=True)
class LoadResult:
    measured: int  # responses to requests sent inside the measuring window
    seconds: float  # the measuring window
    p50_ms: float
    p99_ms: float
    non_2xx: int  # inside the window
    errors: int  # requests never answered (connection lost or drain timeout)
    sent: int
    statuses: dict[str, int]  # every response, warm-up included
    ok_ids: list[str]  # ids answered 2xx, warm-up included
    exhausted: bool  # the request pool ran dry before the window ended

    @property
    def rps(self) -> float:
        return self.measured / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadResult:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)


def parse_head(buf: bytes | bytearray) -> tuple[int, int, int] | None:
    """(status, content length, head length) once the head is complete, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).lower().split(b"\r\n")
    if not lines[0].startswith(b"http/1.1 "):
        raise ProtocolError(f"not an HTTP/1.1 status line: {lines[0]!r}")
    status = int(lines[0][9:12])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name == b"content-length":
            return status, int(value), end + 4
        if name == b"transfer-encoding":
            raise ProtocolError("chunked responses are not supported")
    raise ProtocolError("a response without Content-Length")


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Run:
    """The clock and the tallies shared by every connection."""

    def __init__(self, source: Source, warmup: float, duration: float) -> None:
        self._source = source
        self.start = time.perf_counter()
        self.measure_from = self.start + warmup
        self.measure_to = self.measure_from + duration
        self.ran_dry_at: float | None = None
        self.latencies: list[float] = []
        self.non_2xx = 0
        self.errors = 0
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.ok_ids: list[str] = []
        self.problem: str | None = None

    def next_request(self) -> tuple[str, bytes] | None:
        now = time.perf_counter()
        if now >= self.measure_to or self.problem is not None:
            return None
        item = self._source.next()
        if item is None:
            self.ran_dry_at = self.ran_dry_at or now
            return None
        self.sent += 1
        return item

    def record(self, ident: str, status: int, started: float, ended: float) -> None:
        self.statuses[status] += 1
        ok = 200 <= status < 300
        if ok:
            self.ok_ids.append(ident)
        if self.measure_from <= started < self.measure_to:
            self.latencies.append(ended - started)
            if not ok:
                self.non_2xx += 1

    def result(self) -> LoadResult:
        if self.ran_dry_at is not None and self.ran_dry_at <= self.measure_from:
            raise ProtocolError("the request pool ran dry during the warm-up")
        window_end = min(self.measure_to, self.ran_dry_at or self.measure_to)
        ordered = sorted(self.latencies)
        return LoadResult(
            measured=len(ordered),
            seconds=window_end - self.measure_from,
            p50_ms=percentile(ordered, 0.50) * 1000,
            p99_ms=percentile(ordered, 0.99) * 1000,
            non_2xx=self.non_2xx,
            errors=self.errors,
            sent=self.sent,
            statuses={str(k): v for k, v in sorted(self.statuses.items())},
            ok_ids=self.ok_ids,
            exhausted=self.ran_dry_at is not None,
        )


class Connection(asyncio.Protocol):
    def __init__(self, run: Run, done: asyncio.Future[None]) -> None:
        self._run = run
        self._done = done
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._need = -1
        self._status = 0
        self._current: tuple[str, float] | None = None

    @property
    def in_flight(self) -> bool:
        return self._current is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._send_next()

    def _send_next(self) -> None:
        item = self._run.next_request()
        if item is None or self._transport is None:
            self._finish()
            return
        ident, data = item
        self._current = (ident, time.perf_counter())
        self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        try:
            if self._need < 0:
                head = parse_head(self._buf)
                if head is None:
                    return
                self._status, length, head_len = head
                self._need = head_len + length
            if len(self._buf) < self._need:
                return
            if len(self._buf) > self._need or self._current is None:
                raise ProtocolError("bytes beyond the response to the one request in flight")
        except (ProtocolError, ValueError) as exc:
            self._run.problem = self._run.problem or str(exc)
            self.abort()
            return
        ended = time.perf_counter()
        ident, started = self._current
        self._run.record(ident, self._status, started, ended)
        self._current = None
        self._buf.clear()
        self._need = -1
        self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._current is not None:
            self._run.errors += 1
            self._current = None
        self._transport = None
        self._finish()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)


async def drive(spec: Spec, source: Source) -> LoadResult:
    loop = asyncio.get_running_loop()
    run = Run(source, spec.warmup, spec.duration)
    connections: list[Connection] = []
    finished: list[asyncio.Future[None]] = []
    try:
        for _ in range(spec.connections):
            done: asyncio.Future[None] = loop.create_future()
            _, protocol = await loop.create_connection(functools.partial(Connection, run, done), spec.host, spec.port)
            connections.append(protocol)
            finished.append(done)
        budget = run.measure_to - time.perf_counter() + DRAIN_TIMEOUT
        await asyncio.wait(finished, timeout=max(budget, DRAIN_TIMEOUT))
        run.errors += sum(c.in_flight for c in connections)
    finally:
        for connection in connections:
            connection.close()
    if run.problem is not None:
        raise ProtocolError(run.problem)
    return run.result()


def source_for(spec: Spec) -> Source:
    host = f"{spec.host}:{spec.port}"
    if spec.kind == "github":
        return GitHubSource(GitHubRequests.build(host, Path(spec.body_file).read_bytes(), spec.tag))
    if spec.kind == "alerts":
        return AlertSource(AlertRequests.build(host, spec.tag, spec.token))
    return PoolSource(slack_pool(host, spec.tag, spec.pool))


async def replay(host: str, port: int, requests: Sequence[bytes], timeout: float = 30.0) -> list[int]:
    """Send ``requests`` one after another on one connection; their statuses."""

    async def send_all() -> list[int]:
        reader, writer = await asyncio.open_connection(host, port)
        statuses: list[int] = []
        try:
            for data in requests:
                writer.write(data)
                await writer.drain()
                head = parse_head(await reader.readuntil(b"\r\n\r\n"))
                if head is None:
                    raise ProtocolError("incomplete response head")
                status, length, _ = head
                await reader.readexactly(length)
                statuses.append(status)
        finally:
            writer.close()
        return statuses

    return await asyncio.wait_for(send_all(), timeout)


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 2:
        print("usage: python -m tests.bench.load SPEC.json RESULT.json", file=sys.stderr)
        return 2
    spec = Spec.load(Path(args[0]))
    source = source_for(spec)  # built before the clock starts
    try:
        result = uvloop.run(drive(spec, source))
    except (ProtocolError, OSError) as exc:
        print(f"load generator: {exc}", file=sys.stderr)
        return 1
    Path(args[1]).write_text(result.to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
