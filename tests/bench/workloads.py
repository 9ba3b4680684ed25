"""The requests the load generator sends, rendered to bytes before the clock starts.

GitHub signs the body only, so one body and one signature serve every
request and only ``X-GitHub-Delivery`` changes: a request is a fixed head,
the delivery id and a fixed tail. A Slack signature covers the body, which
carries a unique ``trigger_id``, so Slack requests come from a pool signed in
advance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

from tests.harness import GITHUB_SECRET, SLACK_SECRET, github_headers, slack_headers, slash_command_body

GITHUB_PATH = "/github/webhook"
SLACK_PATH = "/slack/events"
ALERTS_PATH = "/alertmanager/webhook"
ALERTS_FIXTURE = Path(__file__).resolve().parents[1] / "alert_payloads" / "recorded-alertmanager-0.25.firing.json"
GITHUB_EVENT = "issue_comment"
GITHUB_FIXTURE = "github/issue_comment.created.on_issue.json"
SLACK_TEXT = "status api"
FORM = "application/x-www-form-urlencoded"
_PLACEHOLDER = "DELIVERY-PLACEHOLDER-5f0c"


class Source(Protocol):
    def next(self) -> tuple[str, bytes] | None:
        """The next request's id and bytes, or None when there are no more."""


def render(host: str, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def github_body(fixtures: Path) -> bytes:
    """The fixture comment, rewritten to mention the bot."""
    payload = json.loads((fixtures / GITHUB_FIXTURE).read_bytes())
    payload["comment"]["body"] = "@opsbot help"
    return orjson.dumps(payload)


@dataclass(frozen=True)
class GitHubRequests:
    """Signed ``issue_comment`` deliveries that differ only in their delivery id."""

    head: bytes
    tail: bytes
    tag: str

    @classmethod
    def build(cls, host: str, body: bytes, tag: str, secret: str = GITHUB_SECRET) -> GitHubRequests:
        headers = github_headers(body, GITHUB_EVENT, delivery=_PLACEHOLDER, secret=secret)
        delivery = headers.pop("x-github-delivery")
        headers = {"user-agent": "GitHub-Hookshot/bench", **headers, "x-github-delivery": delivery}
        head, sep, tail = render(host, GITHUB_PATH, headers, body).partition(_PLACEHOLDER.encode())
        if not sep or _PLACEHOLDER.encode() in tail:
            raise ValueError("the delivery placeholder must occur exactly once")
        return cls(head, tail, tag)

    def delivery(self, n: int) -> str:
        return f"{self.tag}-{n:08d}"

    def request(self, delivery: str) -> bytes:
        return self.head + delivery.encode() + self.tail


class GitHubSource:
    def __init__(self, requests: GitHubRequests) -> None:
        self._requests = requests
        self._n = 0

    def next(self) -> tuple[str, bytes] | None:
        delivery = self._requests.delivery(self._n)
        self._n += 1
        return delivery, self._requests.request(delivery)


def slack_pool(host: str, tag: str, size: int, secret: str = SLACK_SECRET) -> list[tuple[str, bytes]]:
    """``size`` signed ``/ops status api`` commands, each with its own trigger_id."""
    timestamp = int(time.time())
    pool: list[tuple[str, bytes]] = []
    for n in range(size):
        trigger = f"{tag}.{n:08d}"
        body = slash_command_body(SLACK_TEXT, trigger=trigger)
        pool.append((trigger, render(host, SLACK_PATH, slack_headers(body, FORM, secret, timestamp), body)))
    return pool


class PoolSource:
    def __init__(self, pool: list[tuple[str, bytes]]) -> None:
        self._pool = pool
        self._n = 0

    def next(self) -> tuple[str, bytes] | None:
        if self._n >= len(self._pool):
            return None
        item = self._pool[self._n]
        self._n += 1
        return item


def alert_body(notification: str, fixture: Path = ALERTS_FIXTURE) -> bytes:
    """The recorded firing notification made one group of its own: ``notification`` stands in its
    ``groupKey``, its group's ``test_id`` label and its alert's fingerprint, as Alertmanager would
    send for a distinct group. Compact JSON, as Alertmanager sends it."""
    payload = json.loads(fixture.read_bytes())
    payload["groupKey"] = f'{{}}:{{alertname="OpsbotTestDown", service="api", test_id="{notification}"}}'
    for labels in (payload["groupLabels"], payload["commonLabels"]):
        labels["test_id"] = notification
    for alert in payload["alerts"]:
        alert["labels"]["test_id"] = notification
        alert["fingerprint"] = notification
        alert["annotations"]["summary"] = f"api is down ({notification})"
    payload["commonAnnotations"]["summary"] = payload["alerts"][0]["annotations"]["summary"]
    return orjson.dumps(payload)


@dataclass(frozen=True)
class AlertRequests:
    """Alertmanager notifications, each a group of its own, sent with the bearer token.

    Alertmanager signs nothing, so the body may differ per request: every request is the same
    bytes with a fixed-width notification id spliced in, so Content-Length never changes.
    """

    parts: tuple[bytes, ...]
    tag: str

    @classmethod
    def build(cls, host: str, tag: str, token: str) -> AlertRequests:
        placeholder = "N" * len(cls.notification_of(tag, 0))
        body = alert_body(placeholder)
        headers = {
            "user-agent": "Alertmanager/0.25.0",
            "content-type": "application/json",
            "authorization": f"Bearer {token}",
        }
        parts = tuple(render(host, ALERTS_PATH, headers, body).split(placeholder.encode()))
        if len(parts) < 2:
            raise ValueError("the notification placeholder must occur in the body")
        return cls(parts, tag)

    @staticmethod
    def notification_of(tag: str, n: int) -> str:
        return f"{tag}-{n:08d}"

    def notification(self, n: int) -> str:
        return self.notification_of(self.tag, n)

    def request(self, notification: str) -> bytes:
        return notification.encode().join(self.parts)


class AlertSource:
    def __init__(self, requests: AlertRequests) -> None:
        self._requests = requests
        self._n = 0

    def next(self) -> tuple[str, bytes] | None:
        notification = self._requests.notification(self._n)
        self._n += 1
        return notification, self._requests.request(notification)
