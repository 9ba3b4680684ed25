"""The servers under test, each one uvicorn process, always stopped on the way out."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# Inherited settings that could change what the servers do.
SCRUBBED_PREFIXES = ("OPSBOT_", "SLACK_", "GITHUB_", "GITLAB_", "ANTHROPIC_", "REDIS_", "ALERTMANAGER_", "PROMETHEUS_")


class BenchError(Exception):
    """The benchmark itself broke (as opposed to a target being missed)."""


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env.update(settings)
    return env


def opsbot_command() -> list[str]:
    binary = Path(sys.executable).parent / "opsbot"
    if not binary.exists():
        binary = ROOT / ".venv" / "bin" / "opsbot"
    return [str(binary), "serve"]


def module_command(module: str) -> list[str]:
    return [sys.executable, "-m", module]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    output: IO[bytes]

    def log_lines(self) -> list[str]:
        self.output.flush()
        self.output.seek(0)
        return [line for line in self.output.read().decode(errors="replace").splitlines() if line.strip()]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


def _wait_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = "\n".join(server.log_lines()[-15:])
            raise BenchError(f"{server.name} exited with {server.process.returncode} while starting:\n{tail}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"{server.name} did not listen on port {server.port} within {START_TIMEOUT:.0f} s")


@contextmanager
def running(name: str, command: Sequence[str], env: Mapping[str, str]) -> Iterator[Server]:
    """Start ``command --port P``; yield once it accepts connections; stop it."""
    with tempfile.TemporaryFile() as output:
        port = free_port()
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        server = Server(name, port, process, output)
        try:
            _wait_listening(server)
            yield server
        finally:
            stop(process)
