"""Drive the real ASGI app and a real worker against the emulators.

Requests are signed the way Slack, GitHub and GitLab sign them; the bot's
clients are the vendors' libraries pointed at the emulators' base URLs.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson

from bot.settings import Settings
from bot.stores import keys
from handlers.app import Runtime, build_runtime, build_web_app, build_worker
from tests import fixtures
from tests.emulators import AnthropicEmulator, GitHubEmulator, GitLabEmulator, SlackEmulator

SLACK_SECRET = "slack-signing-secret-for-tests"
GITHUB_SECRET = "github-webhook-secret-for-tests"
GITLAB_SECRET = "gitlab-webhook-secret-for-tests"
JSON_CT = "application/json"
OPS_CONFIG = Path(__file__).with_name("ops.test.yaml")


@dataclass
class Emulators:
    slack: SlackEmulator
    github: GitHubEmulator
    gitlab: GitLabEmulator
    anthropic: AnthropicEmulator

    def reset(self) -> None:
        for emulator in (self.slack, self.github, self.gitlab, self.anthropic):
            emulator.reset()

    @property
    def errors(self) -> list[str]:
        return self.slack.errors + self.github.errors + self.gitlab.errors + self.anthropic.errors


def bot_env(redis_url: str | None, emulators: Emulators, *, agent: bool = False, **overrides: str) -> dict[str, str]:
    """The bot's environment against the emulators; ``agent`` gives it a Claude key (the emulator's)."""
    env = {
        "SLACK_BOT_TOKEN": emulators.slack.token,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": emulators.slack.url + "/api/",
        "GITHUB_TOKEN": emulators.github.token,
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "GITHUB_API_URL": emulators.github.url,
        "GITLAB_TOKEN": emulators.gitlab.token,
        "GITLAB_WEBHOOK_SECRET": GITLAB_SECRET,
        "GITLAB_URL": emulators.gitlab.url,
        "OPSBOT_GITHUB_WRITE_INTERVAL": "0",
        "OPSBOT_RECLAIM_AFTER": "1",
        "OPSBOT_RETRY_BASE_DELAY": "0.05",
        "OPSBOT_RETRY_MAX_DELAY": "0.5",
        "OPSBOT_MAX_ATTEMPTS": "3",
        "OPSBOT_CONFIG": str(OPS_CONFIG),
    }
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    if agent:
        env |= {
            "ANTHROPIC_API_KEY": emulators.anthropic.api_key,
            "ANTHROPIC_BASE_URL": emulators.anthropic.url,
            "OPSBOT_AGENT_RETRY_BASE_DELAY": "0.01",
            "OPSBOT_AGENT_RETRY_MAX_DELAY": "0.05",
        }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def github_headers(body: bytes, event: str, delivery: str | None = None, secret: str = GITHUB_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
        "x-hub-signature-256": f"sha256={digest}",
    }


def slack_headers(
    body: bytes, content_type: str, secret: str = SLACK_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


def slash_command_body(
    text: str, *, user: str = "U_ALICE", channel: str = "C_OPS", trigger: str | None = None
) -> bytes:
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0001",
            "channel_id": channel,
            "channel_name": "ops",
            "user_id": user,
            "user_name": "alice",
            "command": "/ops",
            "text": text,
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": trigger or uuid.uuid4().hex,
            "api_app_id": "A0001",
        }
    ).encode()


def approve_click_body(clicked: Mapping[str, Any], user: str, channel: str = "C_OPS") -> bytes:
    """A Slack block_actions payload: ``user`` clicks the Approve button of the posted message ``clicked``."""
    [actions] = [b for b in clicked["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    click = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
    click["user"]["id"] = user
    click["channel"] = {"id": channel, "name": "ops"}
    click["message"] = {"type": "message", "ts": clicked["ts"], "text": clicked["text"]}
    click["actions"][0].update(action_id=button["action_id"], value=button["value"], type="button")
    return f"payload={quote(orjson.dumps(click).decode())}".encode()


def event_callback(event: Mapping[str, Any], event_id: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "token": "unused",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
        }
    )


SOON = 60.0  # seconds: retries come due within this; reminders don't


class BotUnderTest:
    """The web app (entered with its lifespan) plus on-demand worker runs."""

    def __init__(self, env: Mapping[str, str], clock: Callable[[], float] = time.time) -> None:
        self.settings = Settings.from_env(env)
        self.clock = clock
        self.runtime: Runtime = build_runtime(self.settings, clock=clock)
        self.app, self.health = build_web_app(self.runtime, run_worker=False)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://opsbot.test")
        self._lifespan: Any = None

    async def __aenter__(self) -> BotUnderTest:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()
        await self._lifespan.__aexit__(exc_type, exc, tb)

    async def github(
        self, event: str, payload: Mapping[str, Any] | bytes, delivery: str | None = None
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        return await self.http.post("/github/webhook", content=body, headers=github_headers(body, event, delivery))

    async def gitlab(
        self, event: str, payload: Mapping[str, Any] | bytes, token: str = GITLAB_SECRET, **headers: str
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        sent = {"content-type": "application/json", "x-gitlab-event": event, "x-gitlab-token": token, **headers}
        return await self.http.post("/gitlab/webhook", content=body, headers=sent)

    async def slack(self, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        return await self.http.post("/slack/events", content=body, headers=slack_headers(body, content_type))

    async def run_jobs(self, timeout: float = 15.0) -> None:
        """Run a worker in this process until the queue is empty."""
        stop = asyncio.Event()
        worker = asyncio.create_task(build_worker(self.runtime).run(stop))
        try:
            await self.queue_drained(timeout)
        finally:
            stop.set()
            await worker

    async def queue_drained(self, timeout: float = 30.0, poll: float = 0.02) -> None:
        """Wait until nothing is ready, running or delayed by less than a minute (retries), whoever
        runs the jobs. Jobs delayed further (an incident's next reminder) wait for ``clock`` to move."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            depth = await self.runtime.queue.depth()  # makes sure the consumer group exists
            # One MULTI, so a job can't move from the delayed set to the stream between two reads.
            async with self.runtime.redis.pipeline(transaction=True) as pipe:
                pipe.xlen(keys.JOBS)
                pipe.zcount(keys.JOBS_DELAYED, "-inf", self.clock() + SOON)
                length, due = await pipe.execute()
            if length == due == 0:
                return
            await asyncio.sleep(poll)
        raise AssertionError(f"the queue did not drain in {timeout} s: {depth}")
