"""Several opsbot processes on one Redis, as an operator runs them, and bursts of Slack events to feed them.

Used by the graceful-shutdown and scale-out tests and by ``make bench``. Every
process is the real ``opsbot serve`` or ``opsbot worker``; their logs go to
files (a pipe nobody reads would fill up and stall a busy worker).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis

from bot.stores import keys
from tests.emulators import SlackEmulator
from tests.harness import JSON_CT, event_callback, slack_headers
from tests.processes import opsbot, stop
from tests.redis_server import free_port
from tests.waiting import wait_until

BURST_CHANNEL = "C_BURST"
CLEAN_EXITS = (0, -15)  # uvicorn re-raises SIGTERM once it has shut down gracefully


@dataclass
class Process:
    """One opsbot process and the file its logs go to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None  # a web process's base URL

    @property
    def pid(self) -> int:
        return self.process.pid

    def logs(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def said(self, message: str) -> int:
        return sum(1 for record in self.logs() if record.get("msg") == message)

    def stop(self, timeout: float = 45.0) -> int:
        return stop(self.process, timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def running(self) -> bool:
        return self.process.poll() is None


@dataclass
class Fleet:
    """Starts web processes and workers with one environment; stops whatever is left at the end."""

    env: Mapping[str, str]
    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def _start(self, args: list[str], name: str) -> Process:
        log_path = self.log_dir / f"{name}-{len(self.started)}.log"
        with log_path.open("wb") as log_file:
            process = opsbot(args, self.env, stdout=subprocess.DEVNULL, stderr=log_file)
        started = Process(process, log_path)
        self.started.append(started)
        return started

    def worker(self, timeout: float = 30.0) -> Process:
        """A worker that has started: its signal handlers are in place, so SIGTERM is graceful from now on."""
        [worker] = self.workers(1, timeout)
        return worker

    def workers(self, count: int, timeout: float = 30.0) -> list[Process]:
        """``count`` workers started together, once all of them are up."""
        started = [self._start(["worker"], "worker") for _ in range(count)]

        def up(worker: Process) -> bool:
            if not worker.running():
                raise AssertionError(f"opsbot worker exited with {worker.process.returncode}")
            return worker.said("worker started") == 1

        wait_until(lambda: all(up(worker) for worker in started), timeout, f"{count} workers to start")
        return started

    def web(self, timeout: float = 30.0) -> Process:
        port = free_port()
        web = self._start(["serve", "--host", "127.0.0.1", "--port", str(port)], "web")
        web.url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if not web.running():
                raise AssertionError(f"opsbot serve exited with {web.process.returncode}")
            try:
                return httpx.get(f"{web.url}/readyz", timeout=1.0).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout, "opsbot serve to be ready")
        return web

    def close(self) -> None:
        for process in self.started:
            if process.running():
                process.process.kill()
                process.process.wait(timeout=10)


class Burst:
    """``count`` people each asking "@opsbot help" in a thread of their own.

    Each message exists on the emulated Slack, as it would on Slack, so a
    re-run job can look through the thread for the answer it already gave.
    """

    def __init__(self, slack: SlackEmulator, count: int, channel: str = BURST_CHANNEL) -> None:
        self.slack = slack
        self.channel = channel
        self.threads = [slack.add_message(channel, "<@UBOT> help") for _ in range(count)]
        self._run = uuid.uuid4().hex[:8].upper()

    def body(self, n: int) -> bytes:
        event = {"type": "app_mention", "user": "U_ALICE", "text": "<@UBOT> help", "channel": self.channel}
        return event_callback(event | {"ts": self.threads[n]}, event_id=f"Ev{self._run}{n:06d}")

    def replies(self) -> Counter[str]:
        """Answers per thread."""
        mine = self.slack.bot_user_id
        return Counter(str(m.get("thread_ts")) for m in self.slack.messages(self.channel) if m.get("user") == mine)

    def answered(self) -> int:
        return sum(self.replies().values())


async def send(client: httpx.AsyncClient, url: str, body: bytes) -> httpx.Response:
    return await client.post(f"{url}/slack/events", content=body, headers=slack_headers(body, JSON_CT))


async def consumers(client: redis.Redis) -> dict[str, int]:
    """The queue's consumers by name (``host-pid-xxxx``) and how many jobs each holds."""
    try:
        found = await client.xinfo_consumers(keys.JOBS, keys.JOBS_GROUP)
    except redis.ResponseError:  # no group yet: nobody has asked for work
        return {}
    return {(c["name"].decode() if isinstance(c["name"], bytes) else c["name"]): int(c["pending"]) for c in found}


def held_by(pid: int, held: Mapping[str, int]) -> int:
    return sum(count for name, count in held.items() if name.split("-")[-2] == str(pid))


async def freeze_while_busy(worker: Process, client: redis.Redis, tries: int = 500) -> int:
    """SIGSTOP ``worker`` at a moment it holds jobs; how many. It stays frozen until SIGCONT (or a kill).

    A busy worker still holds nothing for a moment between two batches; a
    signal sent then would find it idle and test less than it claims.
    """
    for _ in range(tries):
        worker.process.send_signal(signal.SIGSTOP)
        held = held_by(worker.pid, await consumers(client))
        if held:
            return held
        worker.process.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.02)
    raise AssertionError("the worker never held a job")


async def dead_letters(client: redis.Redis) -> int:
    return int(await client.xlen(keys.JOBS_DEAD))
