"""``POST /slack/events`` for the Home tab: opening it and clicking its buttons are acknowledged at once
and queued once, as the jobs that carry them out; anything else about a Home is acknowledged and ignored."""

from __future__ import annotations

import copy
import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.home.model import HOME_APPROVE_ACTION, HOME_UNLOCK_ACTION, HomeAction, HomeRefresh
from tests import fixtures
from tests.harness import JSON_CT, BotUnderTest, event_callback


def home_click(action_id: str, value: str, user: str = "U_CAROL", trigger: str = "trig-home-1") -> bytes:
    click = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
    del click["channel"], click["response_url"]  # a Home is in no channel
    click["container"] = {"type": "view", "view_id": "VHOME0001"}
    click["view"] = {"id": "VHOME0001", "type": "home", "blocks": []}
    click["user"]["id"] = user
    click["trigger_id"] = trigger
    click["actions"][0].update(action_id=action_id, value=value, type="button")
    return f"payload={quote(json.dumps(click))}".encode()


async def test_opening_the_home_queues_one_publish_per_event(bot: BotUnderTest) -> None:
    body = event_callback({"type": "app_home_opened", "user": "U_CAROL", "channel": "D1", "tab": "home"}, "EvH1")
    assert (await bot.slack(body, JSON_CT)).status_code == 200
    assert (await bot.slack(body, JSON_CT)).status_code == 200  # Slack retried: one job
    messages = event_callback({"type": "app_home_opened", "user": "U_CAROL", "channel": "D1", "tab": "messages"})
    assert (await bot.slack(messages, JSON_CT)).status_code == 200
    [delivery] = await bot.runtime.queue.take("test", count=10, wait=0)
    assert delivery.job.kind == HomeRefresh.KIND
    assert HomeRefresh.from_json(delivery.job.payload) == HomeRefresh("U_CAROL", opened=True)


async def test_a_home_button_is_queued_as_the_clickers_own_action(bot: BotUnderTest) -> None:
    assert (await bot.slack(home_click(HOME_UNLOCK_ACTION, "production api"))).status_code == 200
    assert (await bot.slack(home_click(HOME_UNLOCK_ACTION, "production api"))).status_code == 200
    assert (await bot.slack(home_click(HOME_APPROVE_ACTION, "abc123", "U_ALICE", "trig-2"))).status_code == 200
    taken = await bot.runtime.queue.take("test", count=10, wait=0)
    assert [HomeAction.from_json(d.job.payload) for d in taken] == [
        HomeAction("U_CAROL", "unlock", "production api", "trig-home-1"),
        HomeAction("U_ALICE", "approve", "abc123", "trig-2"),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.fixed_dictionaries(
        {"type": st.just("app_home_opened")},
        optional={
            "user": st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12) | st.just({"id": "U1"}),
            "tab": st.none() | st.integers(-(2**63), 2**63 - 1) | st.sampled_from(["home", "messages", ""]),
            "channel": st.text(max_size=8),
        },
    )
)
async def test_any_home_opened_event_is_acknowledged_or_refused_never_an_error(
    bot: BotUnderTest, event: dict[str, object]
) -> None:
    response = await bot.slack(event_callback(event), JSON_CT)
    user, tab = event.get("user"), event.get("tab")
    if not isinstance(user, str) or (tab is not None and not isinstance(tab, str)):
        assert response.status_code == 400
    else:
        assert response.status_code == 200
