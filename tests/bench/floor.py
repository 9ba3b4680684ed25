"""The ingest floor: the least a GitHub webhook endpoint can do and still be correct.

Read the body, check ``X-Hub-Signature-256`` in constant time, mark the
delivery seen with ``SET NX EX`` and, only if it is new, ``XADD`` the raw body
to a stream. One ``redis.asyncio`` client; no parsing, no metrics, no logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from collections.abc import AsyncIterator, Sequence

import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.bench.serving import port_from, serve

STREAM = "opsbot-floor:jobs"
SEEN = "opsbot-floor:seen:"
SEEN_TTL = 7 * 24 * 3600
PATH = "/github/webhook"


def build_app(redis_url: str, secret: bytes) -> Starlette:
    client = redis.Redis.from_url(redis_url)

    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        signature = request.headers.get("x-hub-signature-256", "")
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return JSONResponse({"ok": False}, status_code=401)
        delivery = request.headers.get("x-github-delivery")
        if not delivery:
            return JSONResponse({"ok": False}, status_code=400)
        if await client.set(SEEN + delivery, 1, nx=True, ex=SEEN_TTL):
            await client.xadd(STREAM, {"delivery": delivery, "body": body})
            return JSONResponse({"ok": True}, status_code=202)
        return JSONResponse({"ok": True}, status_code=200)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    return Starlette(routes=[Route(PATH, webhook, methods=["POST"])], lifespan=lifespan)


def main(argv: Sequence[str] | None = None) -> None:
    app = build_app(os.environ["REDIS_URL"], os.environ["GITHUB_WEBHOOK_SECRET"].encode())
    serve(app, port_from(argv))


if __name__ == "__main__":
    main()
