"""Redis Sentinel through REDIS_URL, on real servers: a master, a replica and one Sentinel.

Sentinel mode is ``redis-server <conf> --sentinel``, so only the redis-server
binary is needed. Every wait has a deadline; a set starts in well under a
second, and a failover with ``down-after-milliseconds 1000`` takes a few.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.errors import ConfigError, StoreUnavailable
from bot.jobs.kinds import Job
from bot.secrets import Secret
from bot.settings import Settings
from bot.store_url import parse_sentinel_url
from bot.stores import keys
from bot.stores.queue import RedisJobQueue
from bot.stores.redis import connect
from bot.stores.sentinel import MASTER_RECHECK
from tests.processes import opsbot
from tests.redis_server import free_port
from tests.waiting import wait_until

SERVICE = "mymaster"


@dataclass(frozen=True)
class SentinelSet:
    master: int
    replica: int
    sentinel: int
    processes: dict[int, subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel}/{SERVICE}"

    def kill(self, port: int) -> None:
        self.processes[port].kill()
        self.processes[port].wait(timeout=10)


def _direct(port: int, *, decode: bool = False) -> redis.Redis:
    """A plain client of one server; it fails at once rather than retrying, so the waits below poll."""
    return redis.Redis(port=port, socket_timeout=2, retry=Retry(NoBackoff(), 0), decode_responses=decode)


async def _eventually(done: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@contextmanager
def _server(workdir: Path, args: Callable[[int], list[str]]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A redis-server on a free port (tried again if another process took it first)."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is not on PATH; `make test` installs it"
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [binary, *args(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir
        )
        with _direct(port) as probe:
            try:
                wait_until(
                    lambda: process.poll() is None and bool(probe.ping()),  # noqa: B023 - used at once
                    10,
                    f"redis-server on {port}",
                    tolerate=(redis.RedisError,),
                )
            except AssertionError:
                process.kill()
                process.wait()
                continue
        try:
            yield port, process
        finally:
            process.kill()
            process.wait(timeout=10)
        return
    raise RuntimeError("could not start redis-server on a free port")


def _data_server(workdir: Path, *extra: str) -> Callable[[int], list[str]]:
    def args(port: int) -> list[str]:
        # A master waits 5 s by default before a diskless sync, hoping more replicas come along.
        return [
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(workdir), "--dbfilename", f"dump-{port}.rdb", "--loglevel", "warning",
            "--repl-diskless-sync-delay", "0", *extra,
        ]  # fmt: skip

    return args


def _sentinel_server(workdir: Path, master: int) -> Callable[[int], list[str]]:
    def args(port: int) -> list[str]:
        # Sentinel rewrites its own config file as it learns, so it gets a writable one.
        config = workdir / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {workdir}\nloglevel warning\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {master} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 5000\n"
        )
        return [str(config), "--sentinel"]

    return args


def _replica_ready(sentinel: redis.Redis, replica: int) -> bool:
    """The Sentinel knows the replica, is connected to it, and sees it in sync: it could promote it."""
    replicas = sentinel.sentinel_slaves(SERVICE)
    return any(r["port"] == replica and r["flags"] == "slave" and r["master-link-status"] == "ok" for r in replicas)


@pytest.fixture
def sentinel_set() -> Iterator[SentinelSet]:
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-sentinel-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        master, master_process = stack.enter_context(_server(workdir, _data_server(workdir)))
        replica, replica_process = stack.enter_context(
            _server(workdir, _data_server(workdir, "--replicaof", "127.0.0.1", str(master)))
        )
        with _direct(replica, decode=True) as probe:
            wait_until(
                lambda: probe.info("replication")["master_link_status"] == "up",
                10,
                "the replica to sync",
                tolerate=(redis.RedisError,),
            )
        sentinel, sentinel_process = stack.enter_context(_server(workdir, _sentinel_server(workdir, master)))
        with _direct(sentinel, decode=True) as probe:
            wait_until(
                lambda: _replica_ready(probe, replica),
                10,
                "the Sentinel to see the replica",
                tolerate=(redis.RedisError,),
            )
        yield SentinelSet(
            master, replica, sentinel, {master: master_process, replica: replica_process, sentinel: sentinel_process}
        )


def job(n: int) -> Job:
    return Job("chat.message", {"n": n})


def role(port: int) -> str:
    with _direct(port) as direct:
        reply: Any = direct.role()
    return str(reply[0].decode())


async def master_port_by_sentinel(sentinels: SentinelSet) -> int:
    async with aioredis.Redis(port=sentinels.sentinel, decode_responses=True) as sentinel:
        reply: Any = await sentinel.sentinel_get_master_addr_by_name(SERVICE)
    return int(reply[1])


async def sentinel_clients(sentinels: SentinelSet) -> int:
    """Connections open to the Sentinel, not counting the one asking."""
    async with aioredis.Redis(port=sentinels.sentinel) as sentinel:
        return len(await sentinel.client_list()) - 1


async def test_a_sentinel_url_runs_the_job_queue_on_the_master(sentinel_set: SentinelSet) -> None:
    settings = Settings.from_env({"REDIS_URL": sentinel_set.url})
    assert settings.redis_url is not None
    client, embedded = connect(settings.redis_url)
    assert embedded is False
    try:
        queue = RedisJobQueue(client)
        assert await queue.enqueue(job(1), dedupe_key="slack:Ev1") is True
        assert await queue.enqueue(job(1), dedupe_key="slack:Ev1") is False  # the Lua script, on the master
        [delivery] = await queue.take("w1", count=10, wait=0.1)  # XREADGROUP BLOCK
        assert delivery.job.payload == {"n": 1}
        await queue.complete(delivery)  # a MULTI pipeline
        depth = await queue.depth()
        assert (depth.ready, depth.in_flight, depth.delayed) == (0, 0, 0)
        assert (await client.role())[0] == b"master"
        with _direct(sentinel_set.master) as direct:
            assert direct.exists(keys.JOBS) == 1
        assert await sentinel_clients(sentinel_set) >= 1
    finally:
        await client.aclose()
    # Closing the client also closes what it opened to the Sentinels.
    await _eventually(lambda: _none_open(sentinel_set), 5, "the Sentinel connections to close")


async def _none_open(sentinels: SentinelSet) -> bool:
    return await sentinel_clients(sentinels) == 0


async def test_a_planned_failover_moves_reads_and_writes_to_the_new_master(sentinel_set: SentinelSet) -> None:
    client, _ = connect(sentinel_set.url)
    try:
        queue = RedisJobQueue(client)
        await queue.enqueue(job(1))
        await client.set("before", "1")
        assert await client.wait(1, 2000) == 1  # the replica has it all
        async with aioredis.Redis(port=sentinel_set.sentinel) as sentinel:
            assert await sentinel.sentinel_failover(SERVICE)
        started = time.monotonic()

        async def switched() -> bool:
            return await master_port_by_sentinel(sentinel_set) == sentinel_set.replica

        await _eventually(switched, 10, "the Sentinel to name the replica master")
        # The old master still takes writes until Sentinel demotes it, seconds
        # from now; a client still talking to it would lose them. The client
        # asks the Sentinels again within MASTER_RECHECK.
        assert role(sentinel_set.master) == "master"
        await asyncio.sleep(MASTER_RECHECK)

        lost = 0
        while True:
            try:
                await client.set("after", "2")
                assert await client.get("before") == b"1"
                added = await queue.enqueue(job(2))
                break
            except StoreUnavailable:
                lost += 1
                assert time.monotonic() - started < 10, "the client never reached the new master"
                await asyncio.sleep(0.2)
        assert added is True
        assert lost <= 3
        with _direct(sentinel_set.replica) as new_master:
            assert new_master.get("after") == b"2"
        assert role(sentinel_set.replica) == "master"

        # The enqueue script is loaded again on the new master and both jobs are there.
        taken = await queue.take("w1", count=10, wait=0.1)
        assert sorted(d.job.payload["n"] for d in taken) == [1, 2]
        for delivery in taken:
            await queue.complete(delivery)
        assert (await queue.depth()).in_flight == 0
    finally:
        await client.aclose()


async def test_a_crashed_master_is_unavailable_until_the_replica_is_promoted(sentinel_set: SentinelSet) -> None:
    client, _ = connect(sentinel_set.url)
    try:
        queue = RedisJobQueue(client)
        await queue.enqueue(job(1))
        [first] = await queue.take("w1", count=10, wait=0.1)
        assert await client.wait(1, 2000) == 1  # the replica knows w1 holds it
        blocked = asyncio.create_task(queue.take("w1", count=10, wait=5.0))  # a worker waiting for work
        await asyncio.sleep(0.2)
        sentinel_set.kill(sentinel_set.master)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(blocked, 2)  # not stuck until the block times out

        outage = 0
        while True:
            try:
                await queue.complete(first)
                break
            except StoreUnavailable:
                outage += 1
                assert time.monotonic() - started < 10, "no new master within 10 s"
                await asyncio.sleep(0.2)
        assert outage >= 1  # there was an outage: the store said so instead of hanging
        assert await master_port_by_sentinel(sentinel_set) == sentinel_set.replica
        assert await queue.enqueue(job(2)) is True
        [second] = await queue.take("w1", count=10, wait=0.1)
        assert second.job.payload == {"n": 2}
        assert role(sentinel_set.replica) == "master"
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+sentinel:///mymaster", "no Sentinel hosts"),
        ("redis+sentinel://:hunter2@/mymaster", "no Sentinel hosts"),
        ("redis+sentinel://sentinel-0:26379", "no Sentinel service name"),
        ("redis+sentinel://sentinel-0:26379/", "no Sentinel service name"),
        ("redis+sentinel://sentinel-0:notaport/mymaster", "bad port"),
        ("redis+sentinel://sentinel-0:70000/mymaster", "bad port"),
        ("redis+sentinel://sentinel-0,/mymaster", "has no name"),
        ("redis+sentinel://sentinel-0/mymaster/zero", "not a number"),
        ("redis+sentinel://sentinel-0/mymaster?sentinel_pasword=x", "unknown option 'sentinel_pasword'"),
        ("redis+sentinel://sentinel-0/mymaster?ssl=perhaps", "ssl must be true or false"),
        ("redis+sentinel://u:hunter2?x@sentinel-0/mymaster", "bad port"),  # an unencoded "?" in a password
        ("sentinel://sentinel-0/mymaster", "redis+sentinel://"),
    ],
)
def test_a_malformed_sentinel_url_is_one_clear_problem(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REDIS_URL": url})
    [problem] = caught.value.problems
    assert problem.startswith("REDIS_URL")
    assert says in problem
    assert "hunter2" not in problem


def test_a_sentinel_url_reads_every_part() -> None:
    url = parse_sentinel_url(
        "redis+sentinel://ops:p%40ss+word@s0.internal,s1.internal:26380,[fd00::1]:26381/cache/3"
        "?sentinel_password=s3nt+inel&sentinel_username=watcher&ssl=true"
    )
    assert url.sentinels == (("s0.internal", 26379), ("s1.internal", 26380), ("fd00::1", 26381))
    assert (url.service, url.db, url.username, url.sentinel_username, url.ssl) == ("cache", 3, "ops", "watcher", True)
    assert url.password == Secret("p@ss+word")
    assert url.sentinel_password == Secret("s3nt+inel")
    assert "p@ss" not in repr(url)
    assert "s3nt" not in repr(url)


def test_check_config_describes_the_sentinel_set_without_passwords(tmp_path: Path) -> None:
    config = tmp_path / "ops.yaml"
    config.write_text("services: {}\nenvironments: {}\n")
    env = {
        "OPSBOT_CONFIG": str(config),
        "REDIS_URL": "redis+sentinel://opsbot:hunter2@s0:26379,s1:26379/mymaster/2?sentinel_password=correcthorse",
    }
    process = opsbot(["check-config"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in process.communicate(timeout=60))
    assert process.returncode == 0, err
    assert "store: Redis Sentinel service mymaster via 2 sentinels (s0:26379, s1:26379), db 2" in out
    for secret in ("hunter2", "correcthorse"):
        assert secret not in out + err
