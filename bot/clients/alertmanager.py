"""Alertmanager as a :class:`bot.alertmanager.Alertmanager`, over its API v2 and aiohttp.

``base_url`` is Alertmanager's address as its UI answers (``ALERTMANAGER_URL``, e.g.
``http://alertmanager:9093``, or with the route prefix it is served under); ``/api/v2/...`` is
appended. ``token`` (``ALERTMANAGER_TOKEN``), when set, is sent as ``Authorization: Bearer`` for
an Alertmanager behind an authenticating proxy; it is never logged or put in an error.

Facts of Alertmanager 0.25 this relies on (checked against the real one in
tests/bot/clients/test_alertmanager.py): refusals are 400 with the message as a JSON string, or
422 with ``{"code", "message"}`` from request validation; an unknown silence id is 404 on
``GET /api/v2/silence/{id}`` but 500 ``"silence not found"`` on ``DELETE``; expiring an expired
silence answers 200; ``filter`` takes matchers as ``name="value"`` with ``\\`` and ``"`` escaped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import aiohttp

from bot.alertmanager import (
    AlertState,
    HeldAlert,
    Matcher,
    NewSilence,
    Silence,
    SilenceState,
)
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.secrets import Secret

SERVICE = "Alertmanager"
TIMEOUT = 10.0  # seconds for one call, connecting included: a person is waiting on a button
MESSAGE_LIMIT = 300  # characters of Alertmanager's (or a proxy's) message kept in an error
NOT_FOUND = "silence not found"  # 0.25's answer (with a 500) to expiring an unknown silence
# Tuples, not sets: the value tested comes from outside and may be unhashable (a list).
SILENCE_STATES = ("active", "pending", "expired")
ALERT_STATES = ("active", "suppressed", "unprocessed")
T = TypeVar("T")
PLAIN = {
    401: "the token was refused (check ALERTMANAGER_TOKEN)",
    403: "the token lacks a permission this needs (check ALERTMANAGER_TOKEN)",
    404: "not found",
}


def filter_matcher(matcher: Matcher) -> str:
    """``name="value"`` as Alertmanager's ``filter`` parameter reads it, the value quoted and escaped."""
    value = matcher.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{matcher.name}="{value}"'


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("silence times must carry their time zone")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(data: Mapping[str, Any], name: str) -> datetime:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name!r} is not a time")
    return datetime.fromisoformat(value)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name!r} is not a string")
    return value


def _labels(data: Mapping[str, Any], name: str) -> dict[str, str]:
    value = data.get(name) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"{name!r} is not a map of strings")
    return cast(dict[str, str], value)


def _strings(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name!r} is not a list of strings")
    return tuple(value)


def parse_silence(data: object) -> Silence:
    """A ``gettableSilence``; ValueError naming the field when it isn't one."""
    if not isinstance(data, dict):
        raise ValueError("a silence is not an object")
    status = data.get("status")
    state = status.get("state") if isinstance(status, dict) else None
    if state not in SILENCE_STATES:
        raise ValueError(f"unknown silence state {state!r}")
    raw_matchers = data.get("matchers")
    if not isinstance(raw_matchers, list):
        raise ValueError("'matchers' is not a list")
    equal: list[Matcher] = []
    other: list[str] = []
    for raw in raw_matchers:
        if not isinstance(raw, dict):
            raise ValueError("a matcher is not an object")
        matcher = Matcher(_text(raw, "name"), _text(raw, "value"))
        regex, equality = raw.get("isRegex") is True, raw.get("isEqual", True) is not False
        if not regex and equality:
            equal.append(matcher)
        else:
            operator = {(False, False): "!=", (True, True): "=~", (True, False): "!~"}[(regex, equality)]
            other.append(f"{matcher.name}{operator}{json.dumps(matcher.value)}")
    return Silence(
        id=_text(data, "id"),
        matchers=tuple(equal),
        starts_at=_time(data, "startsAt"),
        ends_at=_time(data, "endsAt"),
        created_by=_text(data, "createdBy"),
        comment=_text(data, "comment"),
        state=cast(SilenceState, state),
        updated_at=_time(data, "updatedAt"),
        other_matchers=tuple(other),
    )


def parse_alert(data: object) -> HeldAlert:
    """A ``gettableAlert``; ValueError naming the field when it isn't one."""
    if not isinstance(data, dict):
        raise ValueError("an alert is not an object")
    status = data.get("status")
    if not isinstance(status, dict) or status.get("state") not in ALERT_STATES:
        raise ValueError("unknown alert state")
    receivers = data.get("receivers") or []
    if not isinstance(receivers, list) or not all(isinstance(r, dict) for r in receivers):
        raise ValueError("'receivers' is not a list of objects")
    generator = data.get("generatorURL")
    return HeldAlert(
        fingerprint=_text(data, "fingerprint"),
        labels=_labels(data, "labels"),
        annotations=_labels(data, "annotations"),
        starts_at=_time(data, "startsAt"),
        ends_at=_time(data, "endsAt"),
        updated_at=_time(data, "updatedAt"),
        state=cast(AlertState, status["state"]),
        generator_url=generator if isinstance(generator, str) and generator else None,
        silenced_by=_strings(status, "silencedBy"),
        inhibited_by=_strings(status, "inhibitedBy"),
        receivers=tuple(_text(r, "name") for r in receivers),
    )


def _parsed(content: bytes, parse: Callable[[object], T]) -> T:
    """``parse`` of the JSON answer. An answer that isn't what API v2 promises is counted as
    Alertmanager misbehaving (say, ALERTMANAGER_URL pointing at a proxy's error page): unavailable."""
    try:
        return parse(json.loads(content))
    except ValueError as exc:
        raise UpstreamUnavailable(SERVICE, f"an answer opsbot could not read ({exc})"[:MESSAGE_LIMIT]) from exc


def _list(data: object) -> list[object]:
    if not isinstance(data, list):
        raise ValueError("the answer is not a list")
    return data


def _silence_path(silence_id: str) -> str:
    """The silence's route. Alertmanager's ids are UUIDs; anything else names no silence, and is
    never put in a path, where aiohttp's URL normalising would let "../alerts" reach another route
    even percent-encoded."""
    try:
        canonical = str(uuid.UUID(silence_id))
    except ValueError:
        raise UpstreamRejected(SERVICE, f"{PLAIN[404]} (not a silence id)", status=404) from None
    return "/silence/" + canonical


def _message(body: bytes) -> str:
    """Alertmanager's words from an error body: a JSON string (400, 500) or ``{"message"}`` (422)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text  # a proxy's plain or HTML answer
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        parsed = parsed["message"]
    message = parsed if isinstance(parsed, str) else text
    return " ".join(message.split())[:MESSAGE_LIMIT]


class AlertmanagerClient:
    def __init__(self, base_url: str, token: Secret | None = None, *, timeout: float = TIMEOUT) -> None:
        self._api = base_url.rstrip("/") + "/api/v2"
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def _call(
        self, method: str, path: str, *, params: Sequence[tuple[str, str]] = (), body: object = None
    ) -> bytes:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        try:
            # A session per call: silences are created by people clicking, seldom enough that a
            # pooled connection isn't worth a session whose closing someone must own.
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.request(method, self._api + path, params=list(params), json=body, headers=headers) as answer,
            ):
                content = await answer.read()
                status = answer.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamUnavailable(SERVICE, f"no answer ({exc.__class__.__name__})") from exc
        if status >= 500 and _message(content) == NOT_FOUND:
            raise UpstreamRejected(SERVICE, f"{PLAIN[404]} ({NOT_FOUND})", status=404)
        if status == 429 or status >= 500:
            raise UpstreamUnavailable(SERVICE, f"HTTP {status} ({_message(content)})", status=status)
        if status >= 400:
            detail = PLAIN.get(status, f"HTTP {status}")
            raise UpstreamRejected(SERVICE, f"{detail} ({_message(content)})", status=status)
        return content

    async def create_silence(self, silence: NewSilence) -> str:
        body = {
            "matchers": [
                {"name": m.name, "value": m.value, "isRegex": False, "isEqual": True} for m in silence.matchers
            ],
            "startsAt": _timestamp(silence.starts_at),
            "endsAt": _timestamp(silence.ends_at),
            "createdBy": silence.created_by,
            "comment": silence.comment,
        }
        content = await self._call("POST", "/silences", body=body)

        def silence_id(data: object) -> str:
            if not isinstance(data, dict) or not isinstance(data.get("silenceID"), str):
                raise ValueError("no 'silenceID'")
            return str(data["silenceID"])

        return _parsed(content, silence_id)

    async def silence(self, silence_id: str) -> Silence | None:
        try:
            content = await self._call("GET", _silence_path(silence_id))
        except UpstreamRejected as exc:
            if exc.status == 404:
                return None
            raise
        return _parsed(content, parse_silence)

    async def silences(self, matchers: Sequence[Matcher] = ()) -> list[Silence]:
        content = await self._call("GET", "/silences", params=[("filter", filter_matcher(m)) for m in matchers])
        return _parsed(content, lambda data: [parse_silence(item) for item in _list(data)])

    async def expire_silence(self, silence_id: str) -> None:
        await self._call("DELETE", _silence_path(silence_id))

    async def alerts(
        self,
        matchers: Sequence[Matcher] = (),
        *,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
    ) -> list[HeldAlert]:
        params = [("filter", filter_matcher(m)) for m in matchers]
        params += [
            (name, "true" if on else "false")
            for name, on in (("active", active), ("silenced", silenced), ("inhibited", inhibited))
        ]
        content = await self._call("GET", "/alerts", params=params)
        return _parsed(content, lambda data: [parse_alert(item) for item in _list(data)])
