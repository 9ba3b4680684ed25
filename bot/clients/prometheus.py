"""Prometheus as a :class:`bot.investigation.metrics.MetricsSource`, over its HTTP API v1 and aiohttp.

``base_url`` is ``PROMETHEUS_URL``; ``/api/v1/query`` and ``/api/v1/query_range`` are appended and
called with POST forms, which Prometheus accepts as it does GET (long queries fit no URL). The
optional ``token`` (``PROMETHEUS_TOKEN``) goes in ``Authorization: Bearer`` and never into a log
or an error. Prometheus's error shape, ``{"status": "error", "errorType", "error"}``: 400 (a bad
query) and 422 (it could not be run) are refusals whose words the model sees; 503 (timeout,
canceled), other 5xx, no answer and a client-side timeout are Prometheus unavailable.
"""

from __future__ import annotations

import json
import math
from typing import Any

import aiohttp

from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.investigation.metrics_source import QueryAnswer, Series
from bot.secrets import Secret

SERVICE = "Prometheus"
MESSAGE_LIMIT = 300
CLIENT_MARGIN = 2.0  # seconds past the query's own timeout before the client gives up


def _value(raw: object) -> float:
    # Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
    if not isinstance(raw, str):
        raise ValueError("a sample value is not a string")
    return float(raw)


def _point(raw: object) -> tuple[float, float]:
    if not isinstance(raw, list) or len(raw) != 2 or not isinstance(raw[0], int | float):
        raise ValueError("a sample is not [time, value]")
    return float(raw[0]), _value(raw[1])


def parse_answer(body: object) -> QueryAnswer:
    """A successful query answer (vector, matrix, scalar or string); ValueError when it is none."""
    if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), dict):
        raise ValueError("not a successful query answer")
    data: dict[str, Any] = body["data"]
    kind, result = data.get("resultType"), data.get("result")
    series: list[Series] = []
    if kind in ("vector", "matrix"):
        if not isinstance(result, list):
            raise ValueError("'result' is not a list")
        for item in result:
            if not isinstance(item, dict) or not isinstance(item.get("metric"), dict):
                raise ValueError("a series has no labels")
            labels = {str(k): str(v) for k, v in item["metric"].items()}
            raw = item.get("values") if kind == "matrix" else [item.get("value")]
            if not isinstance(raw, list):
                raise ValueError("a series has no values")
            series.append(Series(labels, tuple(_point(p) for p in raw)))
    elif kind == "scalar":
        series.append(Series({}, (_point(result),)))
    elif kind == "string":
        series.append(Series({"string": str(result[1]) if isinstance(result, list) else ""}, ((0.0, math.nan),)))
    else:
        raise ValueError(f"unknown result type {kind!r}")
    warnings = body.get("warnings") or []
    return QueryAnswer(tuple(series), tuple(str(w) for w in warnings) if isinstance(warnings, list) else ())


def _message(content: bytes) -> str:
    text = content.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        kind = parsed.get("errorType")
        text = f"{kind}: {parsed['error']}" if isinstance(kind, str) else parsed["error"]
    return " ".join(text.split())[:MESSAGE_LIMIT]


class PrometheusClient:
    def __init__(self, base_url: str, token: Secret | None = None) -> None:
        self._api = base_url.rstrip("/") + "/api/v1"
        self._token = token

    async def _call(self, path: str, form: dict[str, str], seconds: float) -> QueryAnswer:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds + CLIENT_MARGIN)) as session,
                session.post(self._api + path, data={**form, "timeout": f"{seconds:g}s"}, headers=headers) as answer,
            ):
                content = await answer.read()
                status = answer.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamUnavailable(SERVICE, f"no answer ({exc.__class__.__name__})") from exc
        if status in (400, 422):
            raise UpstreamRejected(SERVICE, f"the query was refused ({_message(content)})", status=status)
        if status in (401, 403):
            raise UpstreamRejected(
                SERVICE, f"HTTP {status}: the token was refused (check PROMETHEUS_TOKEN)", status=status
            )
        if status >= 400:
            raise UpstreamUnavailable(SERVICE, f"HTTP {status} ({_message(content)})", status=status)
        try:
            return parse_answer(json.loads(content))
        except ValueError as exc:
            raise UpstreamUnavailable(SERVICE, f"an answer opsbot could not read ({exc})"[:MESSAGE_LIMIT]) from exc

    async def instant(self, query: str, at: float, *, budget_seconds: float) -> QueryAnswer:
        return await self._call("/query", {"query": query, "time": f"{at:.3f}"}, budget_seconds)

    async def range(self, query: str, start: float, end: float, step: float, *, budget_seconds: float) -> QueryAnswer:
        form = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return await self._call("/query_range", form, budget_seconds)
