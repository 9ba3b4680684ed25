"""Serving, recording and fault injection, shared by every emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route as StarletteRoute

from tests.emulators import Served
from tests.emulators.base import Emulator, Reply, Route, route
from tests.emulators.faults import ApiRequest


class Counter(Emulator):
    """The smallest emulator: POST /count increments, GET /count reads, GET /boom is a bug."""

    def __init__(self) -> None:
        super().__init__()
        self.reset_state()

    def reset_state(self) -> None:
        self.count = 0

    def routes(self) -> list[Route]:
        return [
            route("POST", "/count", self._add),
            route("GET", "/count", self._get),
            route("GET", "/boom", self._boom),
        ]

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        return Reply(status, {"error": message or f"injected {status}"})

    def _add(self, request: ApiRequest) -> Reply:
        self.count += 1
        return Reply(201, {"count": self.count})

    def _get(self, request: ApiRequest) -> Reply:
        return Reply(200, {"count": self.count})

    def _boom(self, request: ApiRequest) -> Reply:
        raise RuntimeError("a bug in the emulator")


@pytest.fixture
def counter() -> Iterator[Counter]:
    with Counter() as emulator:
        yield emulator


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def test_served_starts_fast_on_a_free_local_port_and_stops_cleanly() -> None:
    app = Starlette(routes=[StarletteRoute("/", hello)])
    started = time.monotonic()
    with Served(app) as served, Served(app) as other:
        assert time.monotonic() - started < 0.5
        assert served.url.startswith("http://127.0.0.1:")
        assert served.url != other.url
        assert httpx.get(served.url).text == "hello"
        url = served.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
    with pytest.raises(RuntimeError, match="not running"):
        _ = served.url


def test_requests_are_recorded_with_their_status(counter: Counter) -> None:
    httpx.post(f"{counter.url}/count?x=1", json={"a": 1}, headers={"X-Trace": "t1"})
    httpx.post(f"{counter.url}/count", data={"b": "2"})
    first, second = counter.requests
    assert (first.method, first.path, first.query, first.json, first.status) == (
        "POST",
        "/count",
        {"x": "1"},
        {"a": 1},
        201,
    )
    assert first.headers["x-trace"] == "t1"
    assert second.form == {"b": "2"}
    assert counter.requests_to("GET", "/count") == []


def test_fail_next_answers_without_effect_then_recovers(counter: Counter) -> None:
    counter.fail_next("POST", r"^/count$", 429, times=2, headers={"Retry-After": "1"})
    statuses = [httpx.post(f"{counter.url}/count") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 201]
    assert statuses[0].headers["retry-after"] == "1"
    assert statuses[0].json() == {"error": "injected 429"}
    assert counter.count == 1
    assert [r.fault for r in counter.requests] == [True, True, False]


def test_fail_next_after_effect_applies_the_request_anyway(counter: Counter) -> None:
    counter.fail_next("*", "/count", 502, body={"custom": True}, after_effect=True)
    reply = httpx.post(f"{counter.url}/count")
    assert (reply.status_code, reply.json()) == (502, {"custom": True})
    assert counter.count == 1


def test_hold_applies_the_effect_then_holds_the_reply_until_released(counter: Counter) -> None:
    handle = counter.hold("POST", "/count")
    replies: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: replies.append(httpx.post(f"{counter.url}/count")))
    worker.start()
    assert handle.wait_reached(5)
    assert counter.count == 1  # the effect happened...
    assert handle.request is not None
    assert handle.request.status == 201
    time.sleep(0.05)
    assert replies == []  # ...but the reply has not been sent
    handle.release()
    worker.join(5)
    assert replies[0].status_code == 201
    # Only the first matching request is held.
    assert httpx.post(f"{counter.url}/count").status_code == 201


def test_hold_notices_a_client_that_hangs_up(counter: Counter) -> None:
    handle = counter.hold("POST", "/count")
    timeouts: list[Exception] = []

    def impatient() -> None:
        try:
            httpx.post(f"{counter.url}/count", timeout=0.2)
        except httpx.ReadTimeout as timeout:
            timeouts.append(timeout)

    worker = threading.Thread(target=impatient)
    worker.start()
    assert handle.wait_reached(5)
    worker.join(5)
    assert timeouts
    deadline = time.monotonic() + 2
    while not handle.client_gone and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handle.client_gone
    assert counter.count == 1


def test_stop_releases_held_replies() -> None:
    counter = Counter().start()
    handle = counter.hold("POST", "/count")
    replies: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: replies.append(httpx.post(f"{counter.url}/count")))
    worker.start()
    assert handle.wait_reached(5)
    started = time.monotonic()
    counter.stop()
    worker.join(5)
    assert time.monotonic() - started < 1
    assert replies[0].status_code == 201


def test_reset_forgets_requests_faults_and_state(counter: Counter) -> None:
    httpx.post(f"{counter.url}/count")
    counter.fail_next("GET", "/count", 500)
    counter.reset()
    assert counter.requests == []
    assert counter.count == 0
    assert httpx.get(f"{counter.url}/count").json() == {"count": 0}


def test_an_emulator_bug_is_a_500_and_is_kept_for_the_test(counter: Counter) -> None:
    reply = httpx.get(f"{counter.url}/boom")
    assert reply.status_code == 500
    assert "a bug in the emulator" in counter.errors[0]
    assert httpx.get(f"{counter.url}/nowhere").status_code == 404
