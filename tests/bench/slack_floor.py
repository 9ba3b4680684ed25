"""The Slack floor: a bare slack-bolt AsyncApp whose ``/ops`` listener only acknowledges.

Served through Bolt's own Starlette adapter, with Bolt checking the
signature itself. ``process_before_response`` is on, as in opsbot: without it
Bolt runs the listener as a task and polls for the ack every 10 ms, which
would make the floor slower than the thing it is the floor for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.bench.serving import port_from, serve

PATH = "/slack/events"


def build_app(token: str, signing_secret: str, api_url: str) -> Starlette:
    bolt = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=True,
    )

    @bolt.command("/ops")
    async def ops(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route(PATH, events, methods=["POST"])])


def main(argv: Sequence[str] | None = None) -> None:
    env = os.environ
    app = build_app(env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"])
    serve(app, port_from(argv))


if __name__ == "__main__":
    main()
