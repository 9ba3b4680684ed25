"""Webhooks as GitHub delivers them, and their delivery logs: the App's hook, repository and organisation hooks.

A test points a hook at opsbot (``app_hook``, ``repo_hook``, ``org_hook``) and has
GitHub deliver events to it (``deliver``): each is POSTed as GitHub sends it (signed
with the hook's secret, a fresh ``X-GitHub-Delivery`` GUID, GitHub's other headers)
and recorded with the status it got, or status code 0 when nothing answered.
``GET …/deliveries`` lists a hook's deliveries newest first, cursor-paginated with a
``Link`` header as GitHub does; ``POST …/deliveries/{id}/attempts`` answers 202 and
re-sends that delivery a moment later from another thread, with the same GUID and
body, recorded as a new delivery with ``redelivery: true``. The App's endpoints take
only a JWT, the others only a token (``authenticate`` in ``github.py``); an unknown
hook or delivery is 404.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from .base import Reply, Route, route
from .faults import ApiRequest
from .github_state import GitHubState, Json, not_found
from .server import Served

APP = "app"  # the App's own hook; repository and organisation hooks are named by repo_hook / org_hook
TIMEOUT = 10.0  # seconds GitHub waits for an answer before it records a delivery as failed
CURSOR = "v1_"  # GitHub's cursors read "v1_<id>"; opaque to clients
PUBLIC = (
    "id", "guid", "delivered_at", "redelivery", "duration", "status", "status_code", "event", "action",
    "installation_id", "repository_id", "throttled_at", "url",
)  # fmt: skip


class WebhookReceiver:
    """A stand-in for opsbot's endpoint: answers ``status`` and keeps what it was sent (headers, body)."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._served = Served(Starlette(routes=[StarletteRoute("/hook", self._handle, methods=["POST"])]))

    @property
    def url(self) -> str:
        return self._served.url + "/hook"

    def __enter__(self) -> WebhookReceiver:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.received.append((dict(request.headers), body))
        return Response(status_code=self.status)


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HookRoutes(GitHubState):
    def reset_state(self) -> None:
        super().reset_state()
        self._hooks: dict[str, Json] = {}
        self._sending: list[threading.Thread] = []

    # -- test-side setup and inspection -----------------------------------------------------
    def app_hook(self, url: str, secret: str) -> None:
        """The App's webhook: where GitHub sends every event of every installation."""
        with self._lock:
            self._hooks[APP] = {"id": next(self._ids), "url": url, "secret": secret, "deliveries": []}

    def repo_hook(self, full_name: str, url: str, secret: str) -> str:
        """A repository's webhook; the name ``deliver`` and ``deliveries`` take (its id is ``hook_id``)."""
        with self._lock:
            ident = next(self._ids)
            name = f"repos/{full_name}/{ident}"
            self._hooks[name] = {"id": ident, "url": url, "secret": secret, "deliveries": []}
            return name

    def org_hook(self, org: str, url: str, secret: str) -> str:
        with self._lock:
            ident = next(self._ids)
            name = f"orgs/{org}/{ident}"
            self._hooks[name] = {"id": ident, "url": url, "secret": secret, "deliveries": []}
            return name

    def hook_id(self, hook: str = APP) -> int:
        with self._lock:
            return int(self._hooks[hook]["id"])

    def deliver(self, event: str, payload: Mapping[str, Any] | bytes, *, hook: str = APP) -> Json:
        """Send ``event`` to the hook's URL now, as GitHub does; the delivery as GitHub recorded it."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        return self._send(hook, event, body, str(uuid.uuid4()), redelivery=False)

    def record_delivery(
        self, event: str, payload: Mapping[str, Any], status_code: int, *, at: float, hook: str = APP
    ) -> Json:
        """A delivery made at ``at`` (epoch seconds), long before the test, that got ``status_code``."""
        with self._lock:
            return self._record(hook, event, orjson.dumps(payload), str(uuid.uuid4()), False, status_code, 0.1, at)

    def deliveries(self, hook: str = APP) -> list[Json]:
        """The hook's deliveries, newest first, as the API shows them."""
        with self._lock:
            return [self._public(d) for d in self._newest_first(self._hooks[hook])]

    def redeliveries_sent(self, timeout: float = 30.0) -> None:
        """Wait until every redelivery asked for so far has been sent and recorded."""
        deadline = time.monotonic() + timeout
        with self._lock:
            sending = list(self._sending)
        for thread in sending:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise AssertionError(f"a redelivery was still being sent after {timeout} s")

    # -- sending ----------------------------------------------------------------------------
    def _send(self, hook: str, event: str, body: bytes, guid: str, *, redelivery: bool) -> Json:
        with self._lock:
            target = self._hooks[hook]
            url, secret, ident = target["url"], target["secret"], target["id"]
        headers = {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/emulated",
            "x-github-event": event,
            "x-github-delivery": guid,
            "x-github-hook-id": str(ident),
            "x-hub-signature-256": signature(secret, body),
        }
        started = time.monotonic()
        try:
            code = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT).status_code
        except httpx.TransportError:
            code = 0  # refused, reset or timed out: GitHub records no status code
        duration = round(time.monotonic() - started, 3)
        with self._lock:
            return self._record(hook, event, body, guid, redelivery, code, duration, time.time())

    def _record(
        self, hook: str, event: str, body: bytes, guid: str, redelivery: bool, code: int, duration: float, at: float
    ) -> Json:
        payload = orjson.loads(body)
        if 200 <= code < 300:
            status = "OK"
        elif code:
            status = f"Invalid HTTP Response: {code}"
        else:
            status = "failed to connect to host"
        record = {
            "id": next(self._ids), "guid": guid, "at": at, "delivered_at": stamp(at), "redelivery": redelivery,
            "duration": duration, "status": status, "status_code": code, "event": event,
            "action": payload.get("action") if isinstance(payload, dict) else None,
            "installation_id": self.installation_id if hook == APP else None,
            "repository_id": ((payload.get("repository") or {}).get("id")) if isinstance(payload, dict) else None,
            "throttled_at": None, "body": body,
        }  # fmt: skip
        self._hooks[hook]["deliveries"].append(record)
        return self._public(record)

    @staticmethod
    def _newest_first(hook: Json) -> list[Json]:
        return sorted(hook["deliveries"], key=lambda d: (-d["at"], -d["id"]))

    @staticmethod
    def _public(record: Json) -> Json:
        return copy.deepcopy({k: record[k] for k in PUBLIC if k in record})

    # -- routes -----------------------------------------------------------------------------
    def hook_routes(self) -> list[Route]:
        hooks = ("/app/hook", "/repos/{owner}/{name}/hooks/{ident}", "/orgs/{org}/hooks/{ident}")
        return [
            *(route("GET", f"{hook}/deliveries", self._list) for hook in hooks),
            *(route("POST", f"{hook}/deliveries/{{delivery}}/attempts", self._again) for hook in hooks),
        ]

    @staticmethod
    def _hook_named(where: Mapping[str, str]) -> str:
        """The hook a route's path names, as the test-side methods name it."""
        if "org" in where:
            return f"orgs/{where['org']}/{where['ident']}"
        if "owner" in where:
            return f"repos/{where['owner']}/{where['name']}/{where['ident']}"
        return APP

    def _list(self, request: ApiRequest, **where: str) -> Reply:
        target = self._hooks.get(self._hook_named(where))
        if target is None:
            return not_found()
        try:
            per_page = max(1, min(int(request.query.get("per_page", 30)), 100))
        except ValueError:
            per_page = 30
        found = self._newest_first(target)
        wanted = request.query.get("status")
        if wanted in ("success", "failure"):
            found = [d for d in found if (200 <= d["status_code"] < 300) == (wanted == "success")]
        cursor = request.query.get("cursor", "")
        if cursor:
            after = [i for i, d in enumerate(found) if f"{CURSOR}{d['id']}" == cursor]
            found = found[after[0] + 1 :] if after else []
        page, more = found[:per_page], len(found) > per_page
        headers = {}
        if more:
            query = urlencode({**request.query, "per_page": per_page, "cursor": f"{CURSOR}{page[-1]['id']}"})
            headers["link"] = f'<{request.base_url}{request.path}?{query}>; rel="next"'
        return Reply(200, [self._public(d) for d in page], headers)

    def _again(self, request: ApiRequest, delivery: str, **where: str) -> Reply:
        hook = self._hook_named(where)
        target = self._hooks.get(hook)
        found = [d for d in target["deliveries"] if str(d["id"]) == delivery] if target else []
        if not found:
            return not_found()
        original = found[0]
        # GitHub accepts the request and delivers later; sending here would hold the API's lock.
        thread = threading.Thread(
            target=self._send,
            args=(hook, original["event"], original["body"], original["guid"]),
            kwargs={"redelivery": True},
            name="emulated-redelivery",
            daemon=True,
        )
        self._sending.append(thread)
        thread.start()
        return Reply(202, {})
