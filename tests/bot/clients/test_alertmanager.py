"""The Alertmanager client against the suite's real Alertmanager 0.25, and against servers that fail.

What both the fake and the client must do is in tests/contracts/test_alertmanager_port.py; this
file checks what only the real thing can tell: the wire format, filter escaping, notifications
stopping under a silence, and how failures come out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alertmanager import Matcher, NewSilence
from bot.clients.alertmanager import AlertmanagerClient, filter_matcher, parse_alert, parse_silence
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.secrets import Secret
from tests.alerting_servers import DOWN, WARNING_ALERT, AlertingServers
from tests.bot.clients.strategies import hostile
from tests.redis_server import free_port
from tests.waiting import wait_until


def _silence(*matchers: Matcher, hours: float = 1) -> NewSilence:
    now = datetime.now(UTC)
    return NewSilence(matchers, now, now + timedelta(hours=hours), "U_CAROL", "Silenced from Slack for 1h")


async def test_a_silence_reaches_alertmanager_with_equality_matchers_creator_and_comment(
    alerting: AlertingServers,
) -> None:
    test_id = str(uuid.uuid4())
    client = AlertmanagerClient(alerting.alertmanager_url + "/")  # a trailing slash as people paste it
    silence_id = await client.create_silence(_silence(Matcher("test_id", test_id), Matcher("service", "api")))

    # Read back with Alertmanager's own API, not the client under test.
    listed = httpx.get(f"{alerting.alertmanager_url}/api/v2/silences", params={"filter": f'test_id="{test_id}"'}).json()
    [raw] = listed
    assert raw["id"] == silence_id
    assert raw["createdBy"] == "U_CAROL"
    assert raw["comment"] == "Silenced from Slack for 1h"
    assert raw["status"]["state"] == "active"
    assert sorted(raw["matchers"], key=lambda m: m["name"]) == [
        {"name": "service", "value": "api", "isRegex": False, "isEqual": True},
        {"name": "test_id", "value": test_id, "isRegex": False, "isEqual": True},
    ]


async def test_a_silence_made_elsewhere_keeps_its_other_matchers(alerting: AlertingServers) -> None:
    test_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    created = httpx.post(
        f"{alerting.alertmanager_url}/api/v2/silences",
        json={
            "matchers": [
                {"name": "test_id", "value": test_id, "isRegex": False, "isEqual": True},
                {"name": "env", "value": "prod|staging", "isRegex": True, "isEqual": True},
                {"name": "team", "value": "db", "isRegex": False, "isEqual": False},
            ],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "createdBy": "amtool",
            "comment": "maintenance",
        },
    ).json()

    found = await AlertmanagerClient(alerting.alertmanager_url).silence(created["silenceID"])
    assert found is not None
    assert found.matchers == (Matcher("test_id", test_id),)
    assert sorted(found.other_matchers) == ['env=~"prod|staging"', 'team!="db"']


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile.filter(lambda v: v != ""))
def test_any_label_value_is_matched_exactly_through_the_filter(alerting: AlertingServers, value: str) -> None:
    test_id = str(uuid.uuid4())
    client = AlertmanagerClient(alerting.alertmanager_url)

    async def round_trip() -> None:
        wanted = await client.create_silence(_silence(Matcher("test_id", test_id), Matcher("service", value)))
        await client.create_silence(_silence(Matcher("test_id", test_id), Matcher("service", value + "x")))
        found = await client.silences([Matcher("test_id", test_id), Matcher("service", value)])
        assert [s.id for s in found] == [wanted]
        assert found[0].matchers == (Matcher("test_id", test_id), Matcher("service", value))

    asyncio.run(round_trip())


def test_the_filter_quotes_and_escapes_the_value() -> None:
    assert filter_matcher(Matcher("service", 'a"b\\c\nd')) == 'service="a\\"b\\\\c\\nd"'


async def test_a_silenced_alert_stops_notifying_and_is_reported_silenced(alerting: AlertingServers) -> None:
    test_id = alerting.new_test_id()
    client = AlertmanagerClient(alerting.alertmanager_url)
    first = {"test_id": test_id, "service": "api", "pod": "api-0"}
    alerting.exporter.set(DOWN, first, 0)
    alerting.relay.wait_for(test_id, lambda d: d.payload["status"] == "firing")
    mine = [Matcher("test_id", test_id)]

    silence_id = await client.create_silence(_silence(Matcher("test_id", test_id), Matcher("alertname", WARNING_ALERT)))
    second = {**first, "pod": "api-1"}
    alerting.exporter.set(DOWN, second, 0)  # a new alert joins the silenced group

    def both_held_silenced() -> bool:
        held = asyncio.run(client.alerts(mine))
        return len(held) == 2 and all(a.silenced_by == (silence_id,) for a in held)

    await asyncio.to_thread(wait_until, both_held_silenced, 15, "both alerts held as silenced")
    [held] = await client.alerts([*mine, Matcher("pod", "api-1")])
    assert held.state == "suppressed"
    assert held.generator_url is not None
    assert held.generator_url.startswith(alerting.prometheus_url)
    assert held.annotations["summary"] == "api is down"
    assert await client.alerts(mine, silenced=False) == []
    # Several group intervals pass: a notification naming the new alert would have gone out by now.
    await asyncio.sleep(3)
    pods = [a["labels"]["pod"] for d in alerting.relay.deliveries(test_id) for a in d.payload["alerts"]]
    assert "api-1" not in pods

    await client.expire_silence(silence_id)
    alerting.relay.wait_for(test_id, lambda d: any(a["labels"]["pod"] == "api-1" for a in d.payload["alerts"]))
    alerting.exporter.remove(DOWN, first)
    alerting.exporter.remove(DOWN, second)


@pytest.mark.parametrize("silence_id", ["../alerts", "..%2Falerts", "x?filter=a", "nope"])
async def test_an_id_that_is_not_a_silence_id_names_no_silence_and_reaches_no_other_route(
    alerting: AlertingServers, silence_id: str
) -> None:
    client = AlertmanagerClient(alerting.alertmanager_url)
    assert await client.silence(silence_id) is None
    with pytest.raises(UpstreamRejected) as refused:
        await client.expire_silence(silence_id)
    assert refused.value.status == 404


async def test_an_alertmanager_nobody_listens_on_is_unavailable() -> None:
    client = AlertmanagerClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(UpstreamUnavailable) as down:
        await client.create_silence(_silence(Matcher("service", "api")))
    assert down.value.service == "Alertmanager"
    with pytest.raises(UpstreamUnavailable):
        await client.alerts()


class Scripted:
    """An HTTP server answering every request with one status and body, keeping what it was sent."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                scripted.requests.append((self.command, self.path, dict(self.headers.items())))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/am"


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    started: list[Scripted] = []
    yield started
    for server in started:
        server.server.shutdown()
        server.server.server_close()


def _serve(started: list[Scripted], status: int, body: bytes, content_type: str = "application/json") -> Scripted:
    server = Scripted(status, body, content_type)
    threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True).start()
    started.append(server)
    return server


async def test_the_token_is_sent_as_a_bearer_under_the_route_prefix(scripted: list[Scripted]) -> None:
    server = _serve(scripted, 200, b"[]")
    await AlertmanagerClient(server.url, Secret("am-proxy-token")).alerts([Matcher("service", "api")], inhibited=False)
    [(method, path, headers)] = server.requests
    assert method == "GET"
    assert path == "/am/api/v2/alerts?filter=service%3D%22api%22&active=true&silenced=true&inhibited=false"
    assert headers["Authorization"] == "Bearer am-proxy-token"


async def test_no_token_sends_no_authorization(scripted: list[Scripted]) -> None:
    server = _serve(scripted, 200, b"[]")
    await AlertmanagerClient(server.url).silences()
    assert "Authorization" not in server.requests[0][2]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_a_failing_alertmanager_is_unavailable(scripted: list[Scripted], status: int) -> None:
    server = _serve(scripted, status, b'"overloaded"')
    with pytest.raises(UpstreamUnavailable) as failed:
        await AlertmanagerClient(server.url).silences()
    assert failed.value.status == status
    assert "overloaded" in failed.value.detail


async def test_a_refused_token_is_rejected_in_plain_words_without_the_token(scripted: list[Scripted]) -> None:
    server = _serve(scripted, 401, b"<html><body>" + b"Unauthorized " * 100 + b"</body></html>", "text/html")
    with pytest.raises(UpstreamRejected) as refused:
        await AlertmanagerClient(server.url, Secret("am-proxy-token")).silence(str(uuid.uuid4()))
    assert refused.value.status == 401
    assert "check ALERTMANAGER_TOKEN" in refused.value.detail
    assert "am-proxy-token" not in str(refused.value)
    assert len(refused.value.detail) < 400


async def test_an_answer_that_is_not_api_v2_is_unavailable(scripted: list[Scripted]) -> None:
    server = _serve(scripted, 200, b"<html>login</html>", "text/html")
    with pytest.raises(UpstreamUnavailable):
        await AlertmanagerClient(server.url).alerts()
    wrong_shape = _serve(scripted, 200, b'[{"id": 1}]')
    with pytest.raises(UpstreamUnavailable):
        await AlertmanagerClient(wrong_shape.url).silences()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=6),
    max_leaves=20,
)
SILENCE_FIELDS = ["id", "status", "matchers", "startsAt", "endsAt", "updatedAt", "createdBy", "comment"]
ALERT_FIELDS = ["fingerprint", "labels", "annotations", "status", "startsAt", "endsAt", "updatedAt", "receivers"]


def _shaped(fields: list[str]) -> st.SearchStrategy[object]:
    # Objects with the right field names and any values reach past the first checks.
    return JSON | st.fixed_dictionaries({}, optional={name: JSON for name in fields})


@settings(max_examples=300, deadline=None)
@given(data=_shaped(SILENCE_FIELDS))
def test_parsing_any_silence_answer_fails_only_as_unreadable(data: object) -> None:
    with contextlib.suppress(ValueError):
        parse_silence(data)


@settings(max_examples=300, deadline=None)
@given(data=_shaped(ALERT_FIELDS))
def test_parsing_any_alert_answer_fails_only_as_unreadable(data: object) -> None:
    with contextlib.suppress(ValueError):
        parse_alert(data)


def test_a_recorded_answer_parses() -> None:
    raw = {
        "id": "6ca1d5c2-9d7c-4f6d-889b-c7926774f8f0",
        "status": {"state": "active"},
        "updatedAt": "2026-12-03T19:20:22.359Z",
        "comment": "c",
        "createdBy": "U1",
        "endsAt": "2026-12-03T20:20:22.338Z",
        "matchers": [{"isEqual": True, "isRegex": False, "name": "service", "value": 'a"p\\i'}],
        "startsAt": "2026-12-03T19:20:22.359Z",
    }
    silence = parse_silence(json.loads(json.dumps(raw)))
    assert silence.matchers == (Matcher("service", 'a"p\\i'),)
    assert silence.ends_at == datetime(2026, 12, 3, 20, 20, 22, 338000, tzinfo=UTC)
