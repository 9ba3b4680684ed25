"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.errors import StoreUnavailable
from bot.jobs.ports import JobQueue, QueueDepth
from bot.telemetry.metrics import CONTENT_TYPE, Metrics


class Health:
    def __init__(
        self,
        store_reachable: Callable[[], Awaitable[bool]],
        queue: JobQueue,
        job_stats: Callable[[], Awaitable[Mapping[str, float]]],
        metrics: Metrics,
    ) -> None:
        self._store_reachable = store_reachable
        self._queue = queue
        self._job_stats = job_stats
        self._metrics = metrics

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(self, request: Request) -> Response:
        if not await self._store_reachable():
            return PlainTextResponse("store unreachable", status_code=503)
        return PlainTextResponse("ready")

    async def metrics(self, request: Request) -> Response:
        depth: QueueDepth | None
        try:
            depth = await self._queue.depth()
            jobs = await self._job_stats()
        except StoreUnavailable:
            depth, jobs = None, {}
        return Response(self._metrics.render(depth, jobs), media_type=CONTENT_TYPE)
