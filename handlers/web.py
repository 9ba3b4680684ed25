"""What every HTTP endpoint shares: the body limit and the contract's answers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.errors import StoreUnavailable
from bot.intake import Accepted, Intake
from bot.jobs import Job
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB; GitHub caps payloads at 25 MB, we need far less


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request) -> bytes:
    """The body, refusing to buffer more than MAX_BODY bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def answer(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"ok": 200 <= status < 300, "message": message, **extra}, status_code=status)


NOT_CONFIGURED = "this integration is not configured"
TOO_LARGE = "the body is larger than 1 MiB"
BAD_SIGNATURE = "the signature is missing or does not match"
STORE_DOWN = "opsbot's store is unavailable; please redeliver later"


class Door:
    """The last steps every endpoint shares: count, refuse, ignore or queue."""

    def __init__(self, source: str, intake: Intake, metrics: Metrics) -> None:
        self.source = source
        self._intake = intake
        self._metrics = metrics
        # Labelled children resolved once: these are counted on every request.
        self._received = metrics.received.labels(source)
        self._deduplicated = metrics.deduplicated.labels(source)

    def reject(self, status: int, reason: str, message: str) -> JSONResponse:
        self._metrics.rejected.labels(self.source, reason).inc()
        return answer(status, message)

    async def verified_body(self, request: Request, verify: Callable[[bytes], bool] | None) -> bytes | JSONResponse:
        """The body, or the contract's refusal: 404 with no secret configured
        (``verify`` is None), 413 over the limit, 401 unless ``verify(body)``."""
        if verify is None:
            return self.reject(404, "not_configured", NOT_CONFIGURED)
        try:
            body = await read_body(request)
        except BodyTooLarge:
            return self.reject(413, "too_large", TOO_LARGE)
        if not verify(body):
            return self.reject(401, "signature", BAD_SIGNATURE)
        return body

    def received(self) -> None:
        self._received.inc()

    def ignore(self, reason: str) -> JSONResponse:
        self._metrics.ignored.labels(self.source, reason).inc()
        return answer(202, f"ignored: {reason}")

    async def admit(self, event_key: str, job: Job) -> Accepted | None:
        """Queue ``job`` once per ``event_key``; None when the store is down."""
        try:
            accepted = await self._intake.accept(event_key, job)
        except StoreUnavailable:
            self._metrics.rejected.labels(self.source, "store_unavailable").inc()
            return None
        if accepted is Accepted.DUPLICATE:
            self._deduplicated.inc()
        else:
            log.info("event queued", extra={"source": self.source, "job_id": job.id, **job.trace})
        return accepted

    async def admit_webhook(self, event_key: str, job: Job) -> JSONResponse:
        """:meth:`admit`, answered as the contract's HTTP table says."""
        accepted = await self.admit(event_key, job)
        if accepted is None:
            return answer(503, STORE_DOWN)
        if accepted is Accepted.DUPLICATE:
            return answer(200, "already received")
        return answer(202, "queued", job=job.id)
