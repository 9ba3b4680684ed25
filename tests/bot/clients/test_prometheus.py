"""The Prometheus client and the two looks against the suite's real Prometheus and Alertmanager."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clients.alertmanager import AlertmanagerClient
from bot.clients.prometheus import PrometheusClient
from bot.config import OpsConfig
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.investigation.alerts import ListAlerts
from bot.investigation.metrics import QueryMetrics
from bot.model import ChatMessage, Person, SlackThread
from tests.alerting_servers import AlertingServers
from tests.redis_server import free_port

ASKED = ChatMessage("m-1", Person("slack", "U_ALICE"), SlackThread("C_OPS"), "why?", "mention")
CONFIG = OpsConfig.parse({"environments": {"production": {}}, "services": {}})


async def test_an_instant_query_reads_as_prometheus_answers_it(alerting: AlertingServers) -> None:
    answer = await PrometheusClient(alerting.prometheus_url).instant(
        'label_replace(vector(0.25), "service", "api", "", "")', time.time(), budget_seconds=5
    )
    assert [(dict(s.labels), s.points[0][1]) for s in answer.series] == [({"service": "api"}, 0.25)]


async def test_a_range_summary_carries_the_values_prometheus_returns(alerting: AlertingServers) -> None:
    now = time.time()
    query = "vector(time() % 600)"
    direct = httpx.post(
        f"{alerting.prometheus_url}/api/v1/query_range",
        data={"query": query, "start": now - 3600, "end": now, "step": 15},
    ).json()["data"]["result"][0]["values"]
    text = await QueryMetrics(PrometheusClient(alerting.prometheus_url), CONFIG, clock=lambda: now).run(
        ASKED, {"query": query, "range_minutes": 60, "step_seconds": 15}
    )
    assert f"max {float(max(float(v) for _, v in direct)):.3g}" in text


async def test_bad_promql_is_refused_with_prometheus_words(alerting: AlertingServers) -> None:
    with pytest.raises(UpstreamRejected) as refused:
        await PrometheusClient(alerting.prometheus_url).instant("sum(", time.time(), budget_seconds=5)
    assert "bad_data" in refused.value.detail


async def test_a_prometheus_that_is_not_there_is_unavailable() -> None:
    with pytest.raises(UpstreamUnavailable):
        await PrometheusClient(f"http://127.0.0.1:{free_port()}").instant("up", time.time(), budget_seconds=1)


async def test_list_alerts_shows_the_real_alertmanagers_alerts_and_silence(alerting: AlertingServers) -> None:
    test_id = alerting.new_test_id()
    now = datetime.now(UTC)
    labels = {"alertname": "ApiSlow", "severity": "warning", "service": "api", "test_id": test_id}
    httpx.post(
        f"{alerting.alertmanager_url}/api/v2/alerts",
        json=[{"labels": labels, "annotations": {"summary": "p99 over 1s"}, "startsAt": now.isoformat()}],
    ).raise_for_status()
    httpx.post(
        f"{alerting.alertmanager_url}/api/v2/silences",
        json={
            "matchers": [{"name": "test_id", "value": test_id, "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "createdBy": "U_CAROL",
            "comment": "known",
        },
    ).raise_for_status()
    look = ListAlerts(AlertmanagerClient(alerting.alertmanager_url))
    text = ""
    for _ in range(50):  # Alertmanager marks an alert silenced on its next pass
        text = await look.run(ASKED, {"matchers": {"test_id": test_id}})
        if "silenced until" in text:
            break
        await asyncio.sleep(0.1)
    assert "[warning] ApiSlow" in text
    assert '"p99 over 1s"' in text
    assert 'by "U_CAROL": "known"' in text
