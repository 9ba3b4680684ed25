"""One measured run: start a server, drive it from the load-generator process, inspect the queue."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import redis

from bot.stores.keys import JOBS
from tests.bench import floor
from tests.bench.checks import Redelivery, StreamCheck, check_stream, floor_delivery, opsbot_delivery
from tests.bench.load import DRAIN_TIMEOUT, LoadResult, ProtocolError, Spec, replay
from tests.bench.servers import ROOT, BenchError, Server, clean_env, module_command, opsbot_command, running, stop
from tests.bench.workloads import ALERTS_PATH, AlertRequests, GitHubRequests, github_body
from tests.harness import GITHUB_SECRET, SLACK_SECRET

Which = Literal["floor", "opsbot"]
ALERTS_CHANNEL = "C_BENCH_ALERTS"
HOST = "127.0.0.1"
SLACK_TOKEN = "xoxb-test-token"  # what SlackEmulator accepts by default
# Bolt reads SLACK_BOT_TOKEN itself and says so once at start-up when a client is also given.
BOLT_START_NOTE = "`token` will be unused"
ALERTS_TOKEN = "am-bench-" + "b" * 24  # ALERTMANAGER_WEBHOOK_TOKEN of the opsbot under test
LOADGEN_SLACK = 60.0  # seconds on top of the run for the load generator to start and build its pool


@dataclass(frozen=True)
class BenchConfig:
    connections: int = 32
    warmup: float = 1.0
    duration: float = 8.0
    rounds: int = 2
    redeliver: int = 200
    # Signed Slack commands prepared per run: enough for this rate over warm-up and window.
    slack_max_rate: int = 12_000

    @property
    def slack_pool(self) -> int:
        return math.ceil((self.warmup + self.duration) * self.slack_max_rate)


@dataclass
class Outcome:
    which: Which
    load: LoadResult
    stream: StreamCheck | None = None
    redelivery: Redelivery | None = None
    log: list[str] = field(default_factory=list)


def _notable(server: Server) -> list[str]:
    return [line for line in server.log_lines() if BOLT_START_NOTE not in line]


class Bench:
    def __init__(self, redis_url: str, slack_api_url: str, workdir: Path, fixtures: Path, config: BenchConfig) -> None:
        self.config = config
        self._redis_url = redis_url
        self._slack_api_url = slack_api_url
        self._workdir = workdir
        self._redis = redis.Redis.from_url(redis_url)
        self._body = github_body(fixtures)
        self._body_file = workdir / "github-body.json"
        self._body_file.write_bytes(self._body)

    def close(self) -> None:
        self._redis.close()

    def _slack_env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_URL": self._slack_api_url,
        }

    def _server(self, which: Which, kind: Literal["github", "slack"]) -> tuple[list[str], dict[str, str]]:
        if which == "opsbot":
            env = clean_env(
                REDIS_URL=self._redis_url,
                GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
                OPSBOT_LOG_LEVEL="WARNING",
                **self._slack_env(),
            )
            return opsbot_command(), env
        if kind == "github":
            env = clean_env(REDIS_URL=self._redis_url, GITHUB_WEBHOOK_SECRET=GITHUB_SECRET)
            return module_command("tests.bench.floor"), env
        return module_command("tests.bench.slack_floor"), clean_env(**self._slack_env())

    def alerts_env(self, redis_url: str | None = None) -> dict[str, str]:
        """opsbot with the Alertmanager webhook on and every alert routed to ``ALERTS_CHANNEL``."""
        config = self._workdir / "ops.alerts.yaml"
        config.write_text(f"alerts:\n  default_channel: {ALERTS_CHANNEL}\n  incident_severities: []\n")
        return clean_env(
            REDIS_URL=redis_url or self._redis_url,
            ALERTMANAGER_WEBHOOK_TOKEN=ALERTS_TOKEN,
            OPSBOT_CONFIG=str(config),
            OPSBOT_LOG_LEVEL="WARNING",
            **self._slack_env(),
        )

    def _spec(self, kind: Literal["github", "slack", "alerts"], which: Which, port: int) -> Spec:
        return Spec(
            kind=kind,
            host=HOST,
            port=port,
            connections=self.config.connections,
            warmup=self.config.warmup,
            duration=self.config.duration,
            tag=f"{which}-{uuid.uuid4().hex[:12]}",
            body_file=str(self._body_file) if kind == "github" else "",
            pool=self.config.slack_pool if kind == "slack" else 0,
            token=ALERTS_TOKEN if kind == "alerts" else "",
        )

    def github(self, which: Which) -> Outcome:
        self._redis.flushall()
        command, env = self._server(which, "github")
        with running(f"{which} (github)", command, env) as server:
            spec = self._spec("github", which, server.port)
            load = self._generate(spec)
            stream, extract = (JOBS, opsbot_delivery) if which == "opsbot" else (floor.STREAM, floor_delivery)
            check = check_stream(self._redis, stream, extract, load.ok_ids)
            redelivery = self._redeliver(server, spec, stream, load.ok_ids)
            return Outcome(which, load, check, redelivery, _notable(server))

    def slack(self, which: Which) -> Outcome:
        self._redis.flushall()
        command, env = self._server(which, "slack")
        with running(f"{which} (slack)", command, env) as server:
            load = self._generate(self._spec("slack", which, server.port))
            return Outcome(which, load, log=_notable(server))

    def alerts(self) -> Outcome:
        """One run of notifications posted to ``POST /alertmanager/webhook`` (a probe first: a route
        that answers anything but 2xx to a notification with the right token breaks the bench)."""
        self._redis.flushall()
        with running("opsbot (alerts)", opsbot_command(), self.alerts_env()) as server:
            probe = AlertRequests.build(f"{HOST}:{server.port}", "probe", ALERTS_TOKEN)
            try:
                [status] = asyncio.run(replay(HOST, server.port, [probe.request(probe.notification(0))]))
            except (OSError, TimeoutError, ProtocolError, asyncio.IncompleteReadError) as exc:
                raise BenchError(f"probing {ALERTS_PATH} failed: {exc!r}") from exc
            if not 200 <= status < 300:
                raise BenchError(f"{ALERTS_PATH} answered {status} to a notification with the right token")
            load = self._generate(self._spec("alerts", "opsbot", server.port))
            return Outcome("opsbot", load, log=_notable(server))

    def _redeliver(self, server: Server, spec: Spec, stream: str, ok_ids: list[str]) -> Redelivery:
        """Send some accepted deliveries again; the stream must not grow."""
        step = max(1, len(ok_ids) // self.config.redeliver)
        again = ok_ids[::step][: self.config.redeliver]
        requests = GitHubRequests.build(f"{HOST}:{server.port}", self._body, spec.tag)
        before = int(self._redis.xlen(stream))
        try:
            statuses = asyncio.run(replay(HOST, server.port, [requests.request(d) for d in again]))
        except (OSError, TimeoutError, ProtocolError, asyncio.IncompleteReadError) as exc:
            raise BenchError(f"re-sending accepted deliveries to {server.name} failed: {exc!r}") from exc
        growth = int(self._redis.xlen(stream)) - before
        return Redelivery(len(again), sum(1 for s in statuses if 200 <= s < 300), growth)

    def _generate(self, spec: Spec) -> LoadResult:
        """Run the load generator in its own process and read its result."""
        path, output = self._workdir / "spec.json", self._workdir / "result.json"
        spec.save(path)
        output.unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.load", str(path), str(output)],
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _, err = process.communicate(timeout=spec.warmup + spec.duration + DRAIN_TIMEOUT + LOADGEN_SLACK)
        except subprocess.TimeoutExpired as exc:
            raise BenchError("the load generator did not finish in time") from exc
        finally:
            stop(process)
        if process.returncode != 0:
            tail = "\n".join(err.decode(errors="replace").splitlines()[-15:])
            raise BenchError(f"the load generator failed ({process.returncode}):\n{tail}")
        try:
            result = LoadResult.from_json(output.read_text())
        except (OSError, ValueError, TypeError) as exc:
            raise BenchError(f"the load generator left no readable result: {exc}") from exc
        if result.measured - result.non_2xx <= 0:
            raise BenchError(f"no 2xx answers in the measured window; statuses {result.statuses}")
        return result
