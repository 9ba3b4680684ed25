"""What every HTTP endpoint shares: the body limit and the contract's answers."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from bot.errors import StoreUnavailable
from bot.jobs.intake import Accepted, Intake
from bot.jobs.kinds import Job
from bot.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB; GitHub caps payloads at 25 MB, we need far less


CONTENT_LENGTH = "content-length"
# More digits than this (leading zeros aside) is over MAX_BODY whatever they say;
# int() of thousands of digits would itself raise.
LENGTH_DIGITS = len(str(MAX_BODY))


class BodyTooLarge(Exception):
    pass


class BodyIncomplete(Exception):
    """The client went away before sending the whole body."""


def declared_length(request: Request) -> int | None:
    """The one Content-Length the client sent, if it is one plain number; anything
    else (several, negative, not digits) says nothing the framing didn't already decide."""
    values = request.headers.getlist(CONTENT_LENGTH)
    if len(values) != 1:
        return None
    raw = values[0].strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    digits = raw.lstrip("0")
    return MAX_BODY + 1 if len(digits) > LENGTH_DIGITS else int(digits or "0")


async def read_body(request: Request) -> bytes:
    """The body, refusing to buffer more than MAX_BODY bytes, whatever Content-Length claims."""
    declared = declared_length(request)
    if declared is not None and declared > MAX_BODY:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise BodyTooLarge
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BodyIncomplete from exc
    return b"".join(chunks)


def single_header(request: Request, name: str) -> str | None:
    """The header's value when it was sent exactly once: a repeated signature,
    token or event name is ambiguous, so it counts as missing."""
    values = request.headers.getlist(name)
    return values[0] if len(values) == 1 else None


def same_secret(expected: bytes, given: str | None) -> bool:
    """Constant-time comparison of a secret with a header value. Starlette decodes
    headers as latin-1, so encoding back gives the bytes sent (compare_digest
    refuses str with non-ASCII characters)."""
    if given is None:
        return False
    return hmac.compare_digest(expected, given.encode("latin-1", "replace"))


def answer(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"ok": 200 <= status < 300, "message": message, **extra}, status_code=status)


NOT_CONFIGURED = "this integration is not configured"
TOO_LARGE = "the body is larger than 1 MiB"
BAD_SIGNATURE = "the signature is missing or does not match"
STORE_DOWN = "opsbot's store is unavailable; please redeliver later"
INCOMPLETE = "the client disconnected before the body was complete"


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
        except BodyIncomplete:
            # Nobody is left to answer; one line, no traceback, and nothing queued.
            log.info("request body incomplete: the client disconnected or was too slow", extra={"source": self.source})
            return self.reject(400, "incomplete", INCOMPLETE)
        try:
            verified = verify(body)
        except (TypeError, ValueError, UnicodeError):
            # A signature or timestamp the verifier can't even read has not been verified.
            verified = False
        if not verified:
            return self.reject(401, "signature", BAD_SIGNATURE)
        return body

    def received(self) -> None:
        self._received.inc()

    def ignore(self, reason: str, detail: str = "") -> JSONResponse:
        """``reason`` labels a metric, so it is never the sender's text (that would grow
        the label set without bound); ``detail`` may be, and only goes back to the sender."""
        self._metrics.ignored.labels(self.source, reason).inc()
        return answer(202, f"ignored: {detail or reason}")

    async def admit(self, event_key: str, job: Job) -> Accepted | None:
        """Queue ``job`` once per ``event_key``; None when the store is down."""
        try:
            accepted = await self._intake.accept(event_key, job)
        except StoreUnavailable:
            self._metrics.rejected.labels(self.source, "store_unavailable").inc()
            return None
        if accepted is Accepted.DUPLICATE:
            self._deduplicated.inc()
        elif log.isEnabledFor(logging.INFO):  # the fields cost every request, logged or not
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
