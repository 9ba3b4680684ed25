"""What the four emulators share: routing, request parsing, recording and serving.

An emulator declares its routes and the shapes of its errors; this module turns an
HTTP request into an ``ApiRequest``, applies any injected fault, calls the route's
handler under the emulator's lock (tests read the store from another thread), records
the request, and holds the reply when a test asked for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from .faults import ApiRequest, Faults, HeldRequest
from .server import Served

log = logging.getLogger(__name__)

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable; None sends an empty body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a plain-text body (job logs) instead of JSON

    def to_response(self) -> Response:
        if self.raw is not None:
            return Response(self.raw, status_code=self.status, headers={"content-type": "text/plain", **self.headers})
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        content = json.dumps(self.body, separators=(",", ":")).encode()
        headers = {"content-type": "application/json; charset=utf-8", **self.headers}
        return Response(content, status_code=self.status, headers=headers)


Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """``/repos/{owner}/{repo}`` → a route passing ``owner`` and ``repo`` (unquoted)."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), handler)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    last: int
    total: int

    def links(self, request: ApiRequest, *, always_first_and_last: bool) -> str:
        """The RFC 8288 ``Link`` header. GitLab always names the first and last pages;
        GitHub names only the pages that differ from this one."""

        def url(page: int) -> str:
            query = urlencode({**request.query, "page": page, "per_page": self.per_page})
            return f"<{request.base_url}{request.path}?{query}>"

        before, after = self.number > 1, self.number < self.last
        rels = [(self.number - 1, "prev")] if before else []
        rels += [(self.number + 1, "next")] if after else []
        rels += [(1, "first")] if before or always_first_and_last else []
        rels += [(self.last, "last")] if after or always_first_and_last else []
        return ", ".join(f'{url(n)}; rel="{rel}"' for n, rel in rels)


def paginate(items: list[Any], request: ApiRequest, default_per_page: int) -> Page:
    per_page = max(1, min(int(request.query.get("per_page", default_per_page)), 100))
    number = max(1, int(request.query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    start = (number - 1) * per_page
    return Page(items[start : start + per_page], number, per_page, last, len(items))


def _parse(request: Request, body: bytes) -> ApiRequest:
    content_type = request.headers.get("content-type", "")
    parsed_json: Any = None
    form: dict[str, str] = {}
    if body and "json" in content_type:
        parsed_json = json.loads(body)
    elif body and "x-www-form-urlencoded" in content_type:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    # uvicorn decodes %2F in scope["path"]; raw_path keeps what the client sent.
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    return ApiRequest(
        method=request.method,
        path=raw_path.decode("latin-1"),
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        json=parsed_json,
        form=form,
        base_url=f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}",
    )


class Emulator:
    """Base class: subclasses provide ``routes`` and the API's error shapes."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._faults = Faults()
        self.errors: list[str] = []  # tracebacks of emulator bugs, answered as 500
        self.latency = 0.0  # seconds every reply takes, as a distant API's would (benchmarks, scale-out)
        app = Starlette(routes=[StarletteRoute("/{path:path}", self._endpoint, methods=_METHODS)])
        self._served = Served(app, before_stop=self._faults.release_all)
        self._routes: list[Route] = []

    # -- what subclasses provide ------------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def authenticate(self, request: ApiRequest) -> Reply | None:
        """None when the credentials are good, else the API's refusal."""
        return None

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        """The API's own error shape, for unknown routes and injected faults."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Forget everything the tests and the clients created."""

    # -- serving ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._served.url

    def start(self) -> Self:
        self._served.start()
        return self

    def stop(self) -> None:
        self._served.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- faults and inspection ------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        *,
        after_effect: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        The request has no effect unless ``after_effect`` (a gateway error after the
        upstream did the work). ``body`` defaults to the API's error shape.
        """
        self._faults.fail_next(method, path_regex, status, times, headers, body, after_effect=after_effect)

    def hold(self, method: str, path_regex: str) -> HeldRequest:
        """Apply and record the next matching request, then hold its reply."""
        return self._faults.hold(method, path_regex)

    @property
    def requests(self) -> list[ApiRequest]:
        return self._faults.requests

    def requests_to(self, method: str, path_regex: str) -> list[ApiRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if method in ("*", r.method) and pattern.search(r.path)]

    def reset(self) -> None:
        """Forget requests, faults (releasing held replies) and all emulated data."""
        self._faults.reset()
        with self._lock:
            self.errors.clear()
            self.latency = 0.0
            self.reset_state()

    # -- dispatch -------------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        api_request = _parse(request, await request.body())
        if self.latency:
            await asyncio.sleep(self.latency)  # outside the lock: slow replies still overlap
        failure = self._faults.take_failure(api_request)
        if failure is None or failure.after_effect:
            reply = self._dispatch(api_request)
        if failure is not None:
            body = self.error_reply(failure.status).body if failure.body is None else failure.body
            reply = Reply(failure.status, body, dict(failure.headers))
            api_request.fault = True
        api_request.status = reply.status
        self._faults.record(api_request)
        held = self._faults.take_hold(api_request)
        if held is not None:
            await held.hold(api_request, request.is_disconnected)
        return reply.to_response()

    def _dispatch(self, request: ApiRequest) -> Reply:
        with self._lock:
            if not self._routes:
                self._routes = self.routes()
            try:
                refused = self.authenticate(request)
                if refused is not None:
                    return refused
                for candidate in self._routes:
                    match = candidate.pattern.match(request.path)
                    if match and candidate.method == request.method:
                        params = {k: unquote(v) for k, v in match.groupdict().items()}
                        return candidate.handler(request, **params)
                return self.error_reply(404)
            except Exception:
                self.errors.append(traceback.format_exc())
                log.exception("emulator bug handling %s %s", request.method, request.path)
                return self.error_reply(500, "emulator error")
