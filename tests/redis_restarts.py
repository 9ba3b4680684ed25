"""A redis-server of one test's own that can be stopped and started again where it was.

It keeps its port across restarts, so the opsbot processes pointed at it
reconnect by themselves, and its data in an append-only file written through
on every command (stricter than compose's ``everysec``), so a stop loses
nothing Redis acknowledged and the queue and dedupe records are there after it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.redis_server import _wait_ready, free_port


class RestartableRedis:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH; `make test` installs it")
        self._binary = binary
        self._workdir = workdir
        self._port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self._port}/0"

    def start(self) -> None:
        process = subprocess.Popen(
            [
                self._binary,
                "--port", str(self._port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self._workdir),
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._process = process
        _wait_ready(self._port, process)

    def stop(self) -> None:
        """As an operator's restart does: SIGTERM, and Redis closes every connection."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
