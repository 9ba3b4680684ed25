"""A real Prometheus and a real Alertmanager for the alert tests, with the parts a test controls.

One of each is started per session (the ``alerting`` fixture in tests/conftest.py), each on a free
port with its own temporary data folder, so only tests that ask for them pay the few seconds::

    exporter (this process)  --scrape 1 s-->  Prometheus  --alerts-->  Alertmanager
                                                                        |  webhook, v4, Bearer token
                                                                        v
                                              relay (this process) --> the test's opsbot, or kept

How a test uses it::

    def test_something(alerting: AlertingServers) -> None:
        test_id = alerting.new_test_id()              # isolates this test's alerts from the others'
        alerting.relay.route(test_id, f"{web.url}/alertmanager/webhook")   # optional: to a real opsbot serve
        # or, to the in-process BotUnderTest:  (keep the loop running while waiting: await eventually(...))
        alerting.relay.route_to(test_id, app_target(bot.http, asyncio.get_running_loop()))
        alerting.exporter.set(DOWN, {"test_id": test_id, "service": "api", "pod": "a"}, 0)  # fires
        delivery = alerting.relay.wait_for(test_id, lambda d: d.payload["status"] == "firing")
        alerting.exporter.set(DOWN, {...same labels...}, 1)                 # resolves

The rules (written by the harness, see ``RULES``): ``opsbot_test_up == 0`` fires ``OpsbotTestDown``
with ``severity: warning``; ``opsbot_test_critical_up == 0`` fires ``OpsbotTestCriticalDown`` with
``severity: critical``. Every label a test puts on the series (``test_id``, ``service``, anything
else) becomes an alert label; Prometheus adds ``job`` and ``instance``. Annotations: ``summary``,
``description``, ``runbook_url`` and ``dashboard_url``, templated from the labels.

Alertmanager groups by ``alertname``, ``service`` and ``test_id`` with ``group_wait`` and
``group_interval`` of 1 s and ``repeat_interval`` of ``REPEAT_INTERVAL``, and sends resolved
notifications. Its single webhook receiver points at the relay, which reads ``test_id`` from the
notification's group labels: it keeps every delivery (headers and raw body) for that test and, when
the test has routed its id (to a URL, or to an in-process app), hands on the body and Alertmanager's
own headers (``Authorization: Bearer <webhook_token>`` included) unchanged and answers Alertmanager
with the target's status, so a failing opsbot makes Alertmanager retry as it would in production. The relay
was chosen over rewriting Alertmanager's configuration per test (``POST /-/reload``): it needs no
reload to settle and lets tests run side by side against one Alertmanager.

Silences and alerts are read and written through Alertmanager's real API at ``alertmanager_url``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.redis_server import free_port
from tests.waiting import wait_until

DOWN = "opsbot_test_up"  # 0 fires the warning rule
CRITICAL_DOWN = "opsbot_test_critical_up"  # 0 fires the critical rule
WARNING_ALERT = "OpsbotTestDown"
CRITICAL_ALERT = "OpsbotTestCriticalDown"
WEBHOOK_TOKEN = "am-webhook-" + "t" * 24  # what Alertmanager's http_config.authorization sends
REPEAT_INTERVAL = 3.0  # seconds before Alertmanager re-sends an unchanged group
STARTUP_TIMEOUT = 20.0
# Headers Alertmanager sends that opsbot may look at; hop-by-hop ones are the relay's own business.
FORWARDED_HEADERS = ("Authorization", "Content-Type", "User-Agent")

RULES = f"""\
groups:
  - name: opsbot-test
    interval: 1s
    rules:
      - alert: {WARNING_ALERT}
        expr: {DOWN} == 0
        for: 0s
        labels:
          severity: warning
        annotations:
          summary: "{{{{ $labels.service }}}} is down"
          description: "{{{{ $labels.service }}}} on {{{{ $labels.instance }}}} reports up={{{{ $value }}}}"
          runbook_url: "https://runbooks.example.com/{{{{ $labels.service }}}}"
          dashboard_url: "https://grafana.example.com/d/{{{{ $labels.service }}}}"
      - alert: {CRITICAL_ALERT}
        expr: {CRITICAL_DOWN} == 0
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: "{{{{ $labels.service }}}} is down hard"
          description: "{{{{ $labels.service }}}} on {{{{ $labels.instance }}}} reports up={{{{ $value }}}}"
          runbook_url: "https://runbooks.example.com/{{{{ $labels.service }}}}"
"""


def _label_value(value: str) -> str:
    # The exposition format's escapes: backslash, double quote and newline.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsExporter:
    """A /metrics endpoint whose gauges the test sets; Prometheus scrapes it every second.

    ``set(metric, labels, value)`` adds or changes a series, ``remove(metric, labels)`` drops it
    (Prometheus then marks it stale and any alert on it resolves, as when a target disappears).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.exposition().encode() if self.path == "/metrics" else b""
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @staticmethod
    def _key(metric: str, labels: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
        return metric, tuple(sorted(labels.items()))

    def set(self, metric: str, labels: Mapping[str, str], value: float) -> None:
        with self._lock:
            self._series[self._key(metric, labels)] = value

    def remove(self, metric: str, labels: Mapping[str, str]) -> None:
        with self._lock:
            self._series.pop(self._key(metric, labels), None)

    def exposition(self) -> str:
        with self._lock:
            series = sorted(self._series.items())
        lines = [f"# TYPE {metric} gauge" for metric in sorted({metric for (metric, _), _ in series})]
        for (metric, labels), value in series:
            rendered = ",".join(f'{name}="{_label_value(text)}"' for name, text in labels)
            lines.append(f"{metric}{{{rendered}}} {value}")
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Delivery:
    """One webhook notification as Alertmanager sent it."""

    headers: Mapping[str, str]
    body: bytes
    received_at: float  # time.monotonic() when the relay had it

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


# Takes a notification's headers and body, delivers it, answers the HTTP status for Alertmanager.
Target = Callable[[Mapping[str, str], bytes], int]


def http_target(url: str) -> Target:
    """Deliver by POSTing to ``url``; a target that doesn't answer is 502, so Alertmanager retries."""

    def deliver(headers: Mapping[str, str], body: bytes) -> int:
        try:
            return httpx.post(url, content=body, headers=dict(headers), timeout=10).status_code
        except httpx.HTTPError:
            return 502

    return deliver


def app_target(
    client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, path: str = "/alertmanager/webhook"
) -> Target:
    """Deliver to an in-process app (``BotUnderTest.http``, an ASGI client) on the test's event loop.

    The relay runs in its own thread, so the POST is scheduled on ``loop`` and waited for: the test
    must keep its loop running meanwhile (``await eventually(...)``, ``await bot.run_jobs()``), not
    block it with a plain ``wait_until``; a delivery the loop doesn't take in 10 s answers 502.
    """

    def deliver(headers: Mapping[str, str], body: bytes) -> int:
        posted = asyncio.run_coroutine_threadsafe(client.post(path, content=body, headers=dict(headers)), loop)
        try:
            return posted.result(timeout=10).status_code
        except (TimeoutError, httpx.HTTPError):
            posted.cancel()
            return 502

    return deliver


class WebhookRelay:
    """Alertmanager's one receiver: keeps each test's notifications and forwards them when routed.

    ``route(test_id, url)`` forwards that test's notifications to ``url`` from then on, and
    ``route_to(test_id, app_target(bot.http, asyncio.get_running_loop()))`` to an in-process app;
    ``deliveries(test_id)`` lists what arrived; ``wait_for(test_id, matches)`` waits for one.
    Notifications without a ``test_id`` group label are kept under ``""``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, list[Delivery]] = {}
        self._routes: dict[str, Target] = {}
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers[name] is not None}
                status = relay._receive(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/alertmanager/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        delivery = Delivery(headers=headers, body=body, received_at=time.monotonic())
        try:
            test_id = str(delivery.payload.get("groupLabels", {}).get("test_id", ""))
        except (ValueError, AttributeError):
            test_id = ""
        with self._lock:
            self._kept.setdefault(test_id, []).append(delivery)
            target = self._routes.get(test_id)
        return 200 if target is None else target(headers, body)

    def route(self, test_id: str, url: str) -> None:
        """Forward ``test_id``'s notifications to ``url`` (a real ``opsbot serve``) over HTTP."""
        self.route_to(test_id, http_target(url))

    def route_to(self, test_id: str, target: Target) -> None:
        """Hand ``test_id``'s notifications to ``target``; see :func:`http_target` and :func:`app_target`."""
        with self._lock:
            self._routes[test_id] = target

    def unroute(self, test_id: str) -> None:
        with self._lock:
            self._routes.pop(test_id, None)

    def deliveries(self, test_id: str) -> list[Delivery]:
        with self._lock:
            return list(self._kept.get(test_id, ()))

    def wait_for(self, test_id: str, matches: Callable[[Delivery], bool], timeout: float = 20.0) -> Delivery:
        """The first delivery for ``test_id`` that ``matches``, waiting for it."""
        found: list[Delivery] = []

        def arrived() -> bool:
            found[:] = [d for d in self.deliveries(test_id) if matches(d)]
            return bool(found)

        wait_until(arrived, timeout, f"a matching Alertmanager notification for {test_id}")
        return found[0]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class AlertingServers:
    """The running Prometheus and Alertmanager and the test-side parts; see the module docstring."""

    prometheus_url: str
    alertmanager_url: str  # Alertmanager's base URL, as ALERTMANAGER_URL takes it
    webhook_token: str  # what opsbot's ALERTMANAGER_WEBHOOK_TOKEN must be for routed deliveries
    exporter: MetricsExporter
    relay: WebhookRelay
    _ids: Iterator[int]

    def new_test_id(self) -> str:
        """A fresh ``test_id`` label value, so this test's groups are its own."""
        return f"t{next(self._ids)}-{time.monotonic_ns() % 1_000_000}"


def _write_configs(folder: Path, *, exporter_port: int, alertmanager_port: int, relay_url: str) -> None:
    (folder / "rules.yml").write_text(RULES)
    (folder / "prometheus.yml").write_text(
        json.dumps(  # JSON is YAML; no quoting of paths and URLs to get wrong
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
                "rule_files": [str(folder / "rules.yml")],
                "scrape_configs": [
                    {"job_name": "opsbot-test", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
                ],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
            }
        )
    )
    (folder / "alertmanager.yml").write_text(
        json.dumps(
            {
                "route": {
                    "receiver": "opsbot",
                    "group_by": ["alertname", "service", "test_id"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": f"{int(REPEAT_INTERVAL)}s",
                },
                "receivers": [
                    {
                        "name": "opsbot",
                        "webhook_configs": [
                            {
                                "url": relay_url,
                                "send_resolved": True,
                                "http_config": {"authorization": {"type": "Bearer", "credentials": WEBHOOK_TOKEN}},
                            }
                        ],
                    }
                ],
            }
        )
    )


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200


@contextmanager
def _process(name: str, argv: list[str], log: Path, ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    binary = shutil.which(argv[0])
    if binary is None:
        raise RuntimeError(f"{argv[0]} is not on PATH; `make test` installs it (make alerting-servers)")
    with log.open("wb") as out:
        process = subprocess.Popen([binary, *argv[1:]], stdout=out, stderr=subprocess.STDOUT)
    try:

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: {log.read_text()[-2000:]}")
            return _ready(ready_url)

        wait_until(up, STARTUP_TIMEOUT, f"{name} to be ready", tolerate=(httpx.HTTPError,))
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def alerting_servers() -> Iterator[AlertingServers]:
    """Start the exporter, the relay, Alertmanager and Prometheus; yield them; stop them all."""
    folder = Path(tempfile.mkdtemp(prefix="opsbot-alerting-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        exporter = MetricsExporter()
        exporter.start()
        stack.callback(exporter.stop)
        relay = WebhookRelay()
        relay.start()
        stack.callback(relay.stop)
        alertmanager_port, prometheus_port = free_port(), free_port()
        alertmanager_url = f"http://127.0.0.1:{alertmanager_port}"
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        _write_configs(folder, exporter_port=exporter.port, alertmanager_port=alertmanager_port, relay_url=relay.url)
        (folder / "alertmanager").mkdir()
        (folder / "prometheus").mkdir()
        stack.enter_context(
            _process(
                "Alertmanager",
                [
                    "prometheus-alertmanager",
                    f"--config.file={folder / 'alertmanager.yml'}",
                    f"--storage.path={folder / 'alertmanager'}",
                    f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                    f"--web.external-url={alertmanager_url}",
                    "--cluster.listen-address=",  # no gossip port: a single, private instance
                    "--log.level=warn",
                ],
                folder / "alertmanager.log",
                alertmanager_url,
            )
        )
        stack.enter_context(
            _process(
                "Prometheus",
                [
                    "prometheus",
                    f"--config.file={folder / 'prometheus.yml'}",
                    f"--storage.tsdb.path={folder / 'prometheus'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    f"--web.external-url={prometheus_url}",
                    # Firing alerts are re-sent to Alertmanager this often (1m by default), and their
                    # endsAt is set a few of these ahead: short, so a resolution arrives in seconds.
                    "--rules.alert.resend-delay=1s",
                    "--log.level=warn",
                ],
                folder / "prometheus.log",
                prometheus_url,
            )
        )
        yield AlertingServers(
            prometheus_url=prometheus_url,
            alertmanager_url=alertmanager_url,
            webhook_token=WEBHOOK_TOKEN,
            exporter=exporter,
            relay=relay,
            _ids=itertools.count(1),
        )
