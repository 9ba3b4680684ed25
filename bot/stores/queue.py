"""A durable job queue on a Redis stream with one consumer group.

Why a stream: an entry stays in the group's pending list until a worker
acknowledges it, so a job whose worker dies is still there, and XAUTOCLAIM
hands it to another worker once it has gone without a heartbeat for
``reclaim_after`` seconds. Delayed jobs (retries, reminders) wait in a sorted
set scored by due time and are moved onto the stream by whichever worker
looks first; the move is one Lua script, so no job is moved twice.

Accepting an event is one round trip: a script that sets the dedupe key
with NX and, only if it was new, XADDs the job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from bot.errors import StoreUnavailable
from bot.jobs.kinds import Delivery, Job
from bot.jobs.ports import QueueDepth
from bot.stores import keys
from bot.stores.redis import text, translating

DEDUPE_TTL = 7 * 24 * 3600  # GitHub lets people redeliver for days
DEAD_LETTER_LEN = 10_000
PROMOTE_BATCH = 100
EMBEDDED_POLL = 0.02  # the embedded store can't block on XREADGROUP; poll instead

# KEYS: the stream, the delayed set, then one dedupe key per job.
# ARGV: the dedupe TTL, then per job: has-a-dedupe-key (1/0), the job, due time (0 = now).
# Returns one character per job: "1" added, "0" seen before.
ENQUEUE = """
local ttl = tonumber(ARGV[1])
local added = {}
for i = 1, #KEYS - 2 do
  local at = 2 + (i - 1) * 3
  local new = ARGV[at] == '0' or redis.call('SET', KEYS[2 + i], '1', 'NX', 'EX', ttl)
  if new then
    local due = tonumber(ARGV[at + 2])
    if due > 0 then
      redis.call('ZADD', KEYS[2], due, ARGV[at + 1])
    else
      redis.call('XADD', KEYS[1], '*', 'job', ARGV[at + 1])
    end
    added[i] = '1'
  else
    added[i] = '0'
  end
end
-- One string ("1101…") rather than an array: one reply to parse, not one per job.
return table.concat(added)
"""
ENQUEUE_BATCH = 200  # jobs per script call at most

PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'job', job)
  redis.call('ZREM', KEYS[1], job)
end
return #due
"""


class RedisJobQueue:
    def __init__(self, client: redis.Redis, *, embedded: bool = False, clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self._embedded = embedded
        self._clock = clock  # when delayed jobs (retries, reminders) come due
        self._enqueue = client.register_script(ENQUEUE)
        self._promote = client.register_script(PROMOTE)
        self._group_ready = False
        self._waiting: list[tuple[str | None, bytes, float, asyncio.Future[bool]]] = []
        self._sender: asyncio.Task[None] | None = None

    @translating
    async def ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._redis.xgroup_create(keys.JOBS, keys.JOBS_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    @translating
    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool:
        """Queue ``job``; jobs enqueued at the same moment share one round trip.

        Under load many webhooks arrive together; each waits for its own
        result, but they travel to Redis as one script call, which is most of
        what accepting an event costs.
        """
        due = self._clock() + delay if delay > 0 else 0.0
        added: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((dedupe_key, job.encode(), due, added))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_waiting())
        return await added

    async def _send_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:ENQUEUE_BATCH], self._waiting[ENQUEUE_BATCH:]
            script_keys: list[str] = [keys.JOBS, keys.JOBS_DELAYED]
            args: list[str | bytes | float | int] = [DEDUPE_TTL]
            for dedupe_key, encoded, due, _ in batch:
                script_keys.append(keys.SEEN + (dedupe_key or "-"))
                args.extend((1 if dedupe_key else 0, encoded, due))
            try:
                results = await self._enqueue(keys=script_keys, args=args)
            except Exception as exc:  # every waiter learns what happened to its job
                for *_, added in batch:
                    if not added.done():
                        added.set_exception(exc)
                continue
            for (*_, added), result in zip(batch, bytes(results), strict=True):
                if not added.done():  # the request may have been cancelled meanwhile
                    added.set_result(result == ord("1"))

    def _group_gone(self, exc: ResponseError) -> StoreUnavailable:
        """A Redis that came back without its data (run without persistence) has no group:
        it is made again at the next take, and meanwhile the queue is as good as unavailable."""
        if not str(exc).startswith("NOGROUP"):
            raise exc
        self._group_ready = False
        return StoreUnavailable("the job queue's consumer group is gone: Redis lost its data")

    @translating
    async def take(self, consumer: str, *, count: int, wait: float) -> list[Delivery]:
        await self.ensure_group()
        try:
            reply: Any = await self._redis.xreadgroup(
                keys.JOBS_GROUP,
                consumer,
                {keys.JOBS: ">"},
                count=count,
                block=None if self._embedded else int(wait * 1000),
            )
        except ResponseError as exc:
            raise self._group_gone(exc) from exc
        streams = reply.items() if isinstance(reply, dict) else reply or []  # RESP3 answers with a map
        deliveries = [self._delivery(entry_id, fields, False) for _, entries in streams for entry_id, fields in entries]
        if not deliveries and self._embedded:
            await asyncio.sleep(EMBEDDED_POLL)
        return deliveries

    @staticmethod
    def _delivery(entry_id: bytes | str, fields: dict[Any, Any], claimed: bool) -> Delivery:
        receipt = text(entry_id)
        job = Job.decode(fields.get(b"job") or fields["job"])
        handed_back = (fields.get(b"redelivered") or fields.get("redelivered")) is not None
        return Delivery(job=job, receipt=receipt, redelivered=claimed or handed_back or job.attempt > 1)

    async def _finish(self, delivery: Delivery, also: Callable[[Pipeline], object] | None = None) -> None:
        """Acknowledge and delete the entry, together with ``also`` in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if also is not None:
                also(pipe)
            pipe.xack(keys.JOBS, keys.JOBS_GROUP, delivery.receipt)
            pipe.xdel(keys.JOBS, delivery.receipt)
            await pipe.execute()

    @translating
    async def complete(self, delivery: Delivery) -> None:
        await self._finish(delivery)

    @translating
    async def retry_later(self, delivery: Delivery, delay: float) -> None:
        job = delivery.job.next_attempt().encode()
        await self._finish(delivery, lambda pipe: pipe.zadd(keys.JOBS_DELAYED, {job: self._clock() + delay}))

    @translating
    async def give_back(self, delivery: Delivery) -> None:
        job = delivery.job.encode()
        await self._finish(delivery, lambda pipe: pipe.xadd(keys.JOBS, {"job": job, "redelivered": "1"}))

    @translating
    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        job = delivery.job.encode()
        await self._finish(
            delivery, lambda pipe: pipe.xadd(keys.JOBS_DEAD, {"job": job, "reason": reason}, maxlen=DEAD_LETTER_LEN)
        )

    @translating
    async def heartbeat(self, consumer: str, deliveries: list[Delivery]) -> None:
        if deliveries:
            # Claiming our own entries with min-idle 0 resets their idle time.
            try:
                await self._redis.xclaim(
                    keys.JOBS, keys.JOBS_GROUP, consumer, 0, [d.receipt for d in deliveries], justid=True
                )
            except ResponseError as exc:
                raise self._group_gone(exc) from exc

    @translating
    async def reclaim(self, consumer: str, *, idle_for: float, count: int) -> list[Delivery]:
        await self.ensure_group()
        try:
            reply = await self._redis.xautoclaim(
                keys.JOBS, keys.JOBS_GROUP, consumer, min_idle_time=int(idle_for * 1000), start_id="0-0", count=count
            )
        except ResponseError as exc:
            raise self._group_gone(exc) from exc
        claimed = [(entry_id, fields) for entry_id, fields in (reply[1] if len(reply) > 1 else []) if fields]
        if not claimed:
            return []
        # How often each entry was handed out, so a job that keeps killing
        # its worker can be recognised and stopped.
        pending = await self._redis.xpending_range(
            keys.JOBS,
            keys.JOBS_GROUP,
            min=claimed[0][0],
            max=claimed[-1][0],
            count=len(claimed) * 4,
            consumername=consumer,
        )
        counts = {text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        return [
            replace(self._delivery(entry_id, fields, True), deliveries=counts.get(text(entry_id), 2))
            for entry_id, fields in claimed
        ]

    @translating
    async def promote_due(self) -> int:
        return int(await self._promote(keys=[keys.JOBS_DELAYED, keys.JOBS], args=[self._clock(), PROMOTE_BATCH]))

    @translating
    async def depth(self) -> QueueDepth:
        await self.ensure_group()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.JOBS)
            pipe.xpending(keys.JOBS, keys.JOBS_GROUP)
            pipe.zcard(keys.JOBS_DELAYED)
            length, pending, delayed = await pipe.execute()
        in_flight = int(pending["pending"]) if isinstance(pending, dict) else int(pending[0])
        return QueueDepth(ready=max(0, int(length) - in_flight), in_flight=in_flight, delayed=int(delayed))
