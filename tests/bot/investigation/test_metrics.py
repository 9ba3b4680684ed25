"""query_metrics on a fake source: bounds refused, steps raised, summaries bounded and honest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import OpsConfig
from bot.errors import CommandError
from bot.investigation.looks import RESULT_LIMIT
from bot.investigation.metrics import MAX_POINTS, MAX_RANGE_MINUTES, QueryMetrics
from bot.investigation.metrics_source import QueryAnswer, Series
from bot.investigation.series_summary import jumps
from bot.model import ChatMessage, Person, SlackThread

NOW = 1_800_000_000.0
EMPTY = QueryAnswer(())
ASKED = ChatMessage("m-1", Person("slack", "U_ALICE"), SlackThread("C_OPS"), "why is api slow?", "mention")
CONFIG = OpsConfig.parse(
    {
        "environments": {"production": {}},
        "services": {
            "api": {"github": "acme/api", "environments": ["production"], "metrics": {"job": "api"}},
            "web": {"github": "acme/web", "environments": ["production"]},
        },
    }
)


class FakeSource:
    def __init__(self, answer: QueryAnswer) -> None:
        self.answer = answer
        self.asked: list[tuple[object, ...]] = []

    async def instant(self, query: str, at: float, *, budget_seconds: float) -> QueryAnswer:
        self.asked.append(("instant", query, at, budget_seconds))
        return self.answer

    async def range(self, query: str, start: float, end: float, step: float, *, budget_seconds: float) -> QueryAnswer:
        self.asked.append(("range", query, start, end, step, budget_seconds))
        return self.answer


def look(answer: QueryAnswer = EMPTY) -> tuple[QueryMetrics, FakeSource]:
    source = FakeSource(answer)
    return QueryMetrics(source, CONFIG, clock=lambda: NOW), source


def test_the_description_names_each_services_matchers_in_a_stable_order() -> None:
    first, _ = look()
    again, _ = look()
    assert first.spec.description == again.spec.description
    assert 'api {job="api"}; web {service="web"}' in first.spec.description


@pytest.mark.parametrize(
    "given_input",
    [
        {"query": ""},
        {"query": "up" * 600},
        {"query": "up", "range_minutes": MAX_RANGE_MINUTES + 1},
        {"query": "up", "range_minutes": 0},
        {"query": "up", "range_minutes": "60"},
        {"query": "up", "step_seconds": 60},
    ],
)
async def test_out_of_bounds_input_is_refused_before_prometheus_is_asked(given_input: dict[str, object]) -> None:
    metrics, source = look()
    with pytest.raises(CommandError):
        await metrics.run(ASKED, given_input)
    assert source.asked == []


async def test_a_step_giving_too_many_points_is_raised_and_the_answer_says_so() -> None:
    metrics, source = look()
    text = await metrics.run(ASKED, {"query": "up", "range_minutes": 360, "step_seconds": 1})
    step = source.asked[0][4]
    assert isinstance(step, float | int)
    assert 360 * 60 / step <= MAX_POINTS
    assert "step raised from 1s" in text


async def test_no_range_is_an_instant_query_now() -> None:
    metrics, source = look(QueryAnswer((Series({"job": "api"}, ((NOW, 0.25),)),)))
    text = await metrics.run(ASKED, {"query": "up"})
    assert source.asked[0][:3] == ("instant", "up", NOW)
    assert "0.25" in text


def test_a_step_up_is_found_at_its_time() -> None:
    points = [(NOW + 60 * i, 0.2 + 0.001 * (i % 3) if i < 100 else 0.9 + 0.001 * (i % 3)) for i in range(200)]
    found = jumps(points)
    assert found
    assert found[0].kind == "step up"
    assert found[0].at == NOW + 60 * 100


values = st.floats(allow_nan=True, allow_infinity=True) | st.floats(-1e3, 1e3)
label_text = st.text(min_size=0, max_size=300)
series = st.builds(
    Series,
    labels=st.dictionaries(st.text(min_size=1, max_size=80), label_text, max_size=8),
    points=st.lists(st.tuples(st.floats(NOW - 21600, NOW), values), max_size=60).map(
        lambda ps: tuple(sorted(ps, key=lambda p: p[0]))
    ),
)


@given(st.lists(series, max_size=40), st.lists(label_text, max_size=5), st.booleans())
async def test_any_answer_is_summarised_within_the_limit_without_raw_points(
    many: list[Series], warnings: list[str], ranged: bool
) -> None:
    metrics, _ = look(QueryAnswer(tuple(many), tuple(warnings)))
    given_input: dict[str, object] = {"query": "x", "range_minutes": 60} if ranged else {"query": "x"}
    text = await metrics.run(ASKED, given_input)
    assert len(text) <= RESULT_LIMIT
    assert text.count("\n") < 40
