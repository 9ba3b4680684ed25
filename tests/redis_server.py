"""A private redis-server for the suite, on a free port, keeping nothing on disk; and one a test may
restart or kill, keeping what it acknowledged."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not become ready")


def _command(binary: str, port: int, workdir: str, *, durable: bool) -> list[str]:
    # Durable as production is told to be: the AOF, written to disk before each write is answered.
    persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *persistence, "--dir", workdir,
            "--loglevel", "warning"]  # fmt: skip


def _binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH; `make test` installs it")
    return binary


class RestartableRedis:
    """A redis-server of one test's own, stopped, killed and started again on the same port and data.

    With appendonly and ``appendfsync always`` every write is on disk before Redis answers it, so not
    even ``kill -9`` loses what opsbot acknowledged. ``start`` returns when Redis answers PING again.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._workdir = tempfile.mkdtemp(prefix="opsbot-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        """Start it (again); the time.monotonic() at which it first answered PING."""
        self._process = subprocess.Popen(
            _command(_binary(), self.port, self._workdir, durable=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(self.port, self._process)
        return time.monotonic()

    def stop(self) -> None:
        """SIGTERM, as a restart by systemd, compose or Kubernetes sends: Redis shuts down cleanly."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def __enter__(self) -> RestartableRedis:
        self.start()
        return self

    def close(self) -> None:
        """Kill it for good and remove its data."""
        self.kill()
        shutil.rmtree(Path(self._workdir), ignore_errors=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server; yield its URL; stop it."""
    binary = _binary()
    workdir = tempfile.mkdtemp(prefix="opsbot-redis-")
    for _ in range(5):  # the port may be taken between choosing and binding
        port = free_port()
        process = subprocess.Popen(
            _command(binary, port, workdir, durable=False), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_ready(port, process)
        except RuntimeError:
            process.kill()
            process.wait()
            continue
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
            shutil.rmtree(workdir, ignore_errors=True)
        return
    raise RuntimeError("could not start redis-server on a free port")
