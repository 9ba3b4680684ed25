"""query_metrics over a real Prometheus holding six hours of history (tests/metrics_scenario.py):
the step after the deploy is found at the minute Prometheus shows it, and the summary's numbers
are Prometheus's own."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.clients.prometheus import PrometheusClient
from bot.config import OpsConfig
from bot.errors import UpstreamUnavailable
from bot.investigation.metrics import QueryMetrics
from bot.investigation.shown import utc_minute
from bot.model import ChatMessage, Person, SlackThread
from tests.metrics_scenario import ERRORS, LATENCY, Scenario, api_slow_after_deploy, backfilled_prometheus

ASKED = ChatMessage("m-1", Person("slack", "U_ALICE"), SlackThread("C_OPS"), "why is api slow?", "mention")
CONFIG = OpsConfig.parse({})


@pytest.fixture(scope="module")
def history() -> Iterator[tuple[Scenario, str]]:
    scenario = api_slow_after_deploy()
    with backfilled_prometheus(scenario) as url:
        yield scenario, url


def look(url: str, scenario: Scenario) -> QueryMetrics:
    return QueryMetrics(PrometheusClient(url), CONFIG, clock=lambda: scenario.end + 30)


def direct_range(url: str, query: str, start: float, end: float, step: int) -> list[list[tuple[float, float]]]:
    answer = httpx.post(f"{url}/api/v1/query_range", data={"query": query, "start": start, "end": end, "step": step})
    return [[(float(t), float(v)) for t, v in s["values"]] for s in answer.json()["data"]["result"]]


async def test_the_step_after_the_deploy_is_found_at_the_minute_prometheus_shows_it(
    history: tuple[Scenario, str],
) -> None:
    scenario, url = history
    query = f'{LATENCY}{{service="api"}}'
    text = await look(url, scenario).run(ASKED, {"query": query, "range_minutes": 360})
    # Where Prometheus's own answer (at the step the look chose) first shows the new level.
    step = int(text.split("step ")[1].split("s.")[0])
    end = scenario.end + 30
    [first, *_] = direct_range(url, query, end - 360 * 60, end, step)
    jumped = next(t for t, v in first if v > 0.5)
    assert "step up" in text
    assert f"at {utc_minute(jumped)}" in text
    assert jumped - step < scenario.step_at <= jumped  # and that is when the scenario stepped
    assert "2 series" in text
    # The numbers are Prometheus's: the max of each series as the summary shows it.
    for points in direct_range(url, query, end - 360 * 60, end, step):
        assert f"max {max(v for _, v in points):.3g}" in text


async def test_a_flat_series_shows_no_jump_and_the_errors_show_theirs(history: tuple[Scenario, str]) -> None:
    scenario, url = history
    flat = await look(url, scenario).run(ASKED, {"query": f'{LATENCY}{{service="web"}}', "range_minutes": 360})
    assert "step" not in flat.split("\n", 1)[1]  # past the range line, which names the step it used
    assert "trend flat" in flat
    errors = await look(url, scenario).run(ASKED, {"query": f'{ERRORS}{{service="api"}}', "range_minutes": 120})
    assert "step up" in errors


async def test_an_instant_query_shows_the_latest_values(history: tuple[Scenario, str]) -> None:
    scenario, url = history
    text = await look(url, scenario).run(ASKED, {"query": f"max by (service) ({LATENCY})"})
    assert "Instant query" in text
    assert 'service="api"' in text
    assert 'service="web"' in text


async def test_a_prometheus_that_never_answers_is_given_up_on() -> None:
    """A server that accepts the connection and says nothing: the client's own timeout ends it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(UpstreamUnavailable, match="no answer"):
            # The guard raises TimeoutError, not UpstreamUnavailable: only the client's own timeout passes.
            await asyncio.wait_for(PrometheusClient(url).instant("up", time.time(), budget_seconds=0.2), 30)
