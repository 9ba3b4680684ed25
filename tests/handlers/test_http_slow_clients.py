"""Slow clients against a real ``opsbot serve``: raw sockets on loopback, bounded loops."""

from __future__ import annotations

import selectors
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.settings import HttpLimits
from tests.harness import GITHUB_SECRET, github_headers
from tests.processes import opsbot, stop
from tests.redis_server import free_port

HEAD_TIMEOUT = 1.5  # seconds: short, so the test is; production's are HttpLimits' defaults
BODY_TIMEOUT = 1.5
MAX_CONNECTIONS = 130
SLOW_CLIENTS = 100
SLACK = 2.5  # seconds beyond a deadline a busy 2-core machine may take to act on it


class Server:
    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.process = process
        self.base = f"http://127.0.0.1:{port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def logs(self) -> str:
        stop(self.process)
        assert self.process.stderr is not None
        with self.process.stderr:
            return self.process.stderr.read().decode()


@pytest.fixture
def server() -> Iterator[Server]:
    port = free_port()
    env = {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "OPSBOT_HTTP_HEADER_TIMEOUT": str(HEAD_TIMEOUT),
        "OPSBOT_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "OPSBOT_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    process = opsbot(["serve", "--port", str(port)], env, stderr=subprocess.PIPE)
    running = Server(port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{running.base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield running
    finally:
        if process.poll() is None:
            stop(process)
        if process.stderr is not None and not process.stderr.closed:
            process.stderr.close()


def closed_by_server(sock: socket.socket) -> bool:
    try:
        while chunk := sock.recv(4096):
            del chunk
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_the_defaults_are_bounded() -> None:
    limits = HttpLimits()
    assert 0 < limits.header_timeout <= 30
    assert 0 < limits.body_timeout <= 60
    assert 0 < limits.max_connections <= 10_000


def test_a_hundred_byte_a_second_clients_are_cut_and_others_are_answered(server: Server) -> None:
    slow = [server.connect() for _ in range(SLOW_CLIENTS)]
    started = time.monotonic()
    selector = selectors.DefaultSelector()
    for sock in slow:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    head = b"POST /github/webhook HTTP/1.1\r\nHost: opsbot\r\nX-Padding: " + b"a" * 10_000
    cut_after: dict[socket.socket, float] = {}
    answered: list[float] = []
    sent = 0
    deadline = started + HEAD_TIMEOUT + SLACK + 3
    while len(cut_after) < len(slow) and time.monotonic() < deadline:
        for sock in slow:  # one more byte of the head from every client still connected
            if sock not in cut_after:
                try:
                    sock.send(head[sent : sent + 1])
                except OSError:
                    cut_after[sock] = time.monotonic() - started
        sent += 1
        for key, _ in selector.select(timeout=0.25):
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            if ready not in cut_after and closed_by_server(ready):
                cut_after[ready] = time.monotonic() - started
                selector.unregister(ready)
        if len(answered) < 3:  # meanwhile, an ordinary client is answered promptly
            asked = time.monotonic()
            assert httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200
            answered.append(time.monotonic() - asked)
    for sock in slow:
        sock.close()
    assert len(cut_after) == SLOW_CLIENTS, f"{SLOW_CLIENTS - len(cut_after)} slow clients still connected"
    assert max(cut_after.values()) <= HEAD_TIMEOUT + SLACK
    assert min(cut_after.values()) >= HEAD_TIMEOUT - 0.2  # cut by the deadline, not at once
    assert len(answered) == 3
    assert max(answered) < 1.0
    logs = server.logs()
    assert "Traceback" not in logs


def test_a_trickling_body_or_a_lying_content_length_is_cut_with_one_line(server: Server) -> None:
    body = b'{"zen": "keep it logically awesome"}'
    headers = github_headers(body, "ping")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sock = server.connect()
    # The head promises more body than will ever come.
    sock.sendall(f"POST /github/webhook HTTP/1.1\r\nHost: opsbot\r\n{head}Content-Length: 1000\r\n\r\n".encode())
    sock.sendall(body[:10])
    started = time.monotonic()
    sock.settimeout(BODY_TIMEOUT + SLACK)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        pytest.fail("a body that never completes kept its connection")
    assert time.monotonic() - started <= BODY_TIMEOUT + SLACK
    sock.close()
    # The server goes on answering.
    response = httpx.post(f"{server.base}/github/webhook", content=body, headers=headers)
    assert response.status_code == 200
    logs = server.logs()
    assert "Traceback" not in logs
    assert logs.count("request body incomplete") == 1
    assert '"level":"error"' not in logs


def test_connections_beyond_the_cap_are_refused_and_the_rest_served(server: Server) -> None:
    idle = [server.connect() for _ in range(MAX_CONNECTIONS)]
    extra = server.connect()
    extra.settimeout(5)
    assert extra.recv(100).startswith(b"HTTP/1.1 503 ")
    extra.close()
    for sock in idle:
        sock.close()
    # Closed connections free their places at once.
    deadline = time.monotonic() + 5
    status = 0
    while time.monotonic() < deadline and status != 200:
        status = httpx.get(f"{server.base}/healthz").status_code
    assert status == 200
