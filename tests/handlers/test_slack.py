"""``POST /slack/events``: signatures, the HTTP table, every real payload, /ops help."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.signature import Clock, SignatureVerifier

from bot.alerts.actions import AlertAction
from bot.alerts.render import SILENCE_1H_ACTION
from handlers.slack import form_fields
from tests import fixtures
from tests.harness import (
    JSON_CT,
    SLACK_SECRET,
    BotUnderTest,
    Emulators,
    bot_env,
    event_callback,
    slack_headers,
    slash_command_body,
)

JSON = JSON_CT


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def wire_form(fixture: Path) -> tuple[bytes, str]:
    """A Slack fixture as Slack sends it over HTTP."""
    body = fixture.read_bytes()
    if fixture.suffix == ".txt":
        return body, "application/x-www-form-urlencoded"
    if fixture.suffix == ".json":
        data = json.loads(body)
        if "payload" in data and data.get("type") in ("interactive", "slash_commands", "events_api"):
            data = data["payload"]  # a Socket Mode envelope carries the HTTP payload inside
            if isinstance(data, dict) and "command" in data:
                from urllib.parse import urlencode

                return urlencode(data).encode(), "application/x-www-form-urlencoded"
        if isinstance(data, dict) and data.get("type") in ("block_actions", "view_submission", "shortcut"):
            return f"payload={quote(json.dumps(data))}".encode(), "application/x-www-form-urlencoded"
        return json.dumps(data).encode(), JSON
    return body, JSON  # .jsonc: published with a trailing comma, sent as is


SLACK_FIXTURES = sorted(
    p for p in fixtures.path("slack").rglob("*") if p.is_file() and p.name != "signature_vector.json"
)


def test_the_documented_signature_vector_verifies() -> None:
    vector = fixtures.load("slack/signature_vector.json")
    verifier = SignatureVerifier(vector["secret"], clock=FixedClock(float(vector["timestamp"])))
    assert verifier.is_valid(vector["payload"], vector["timestamp"], vector["signature"])
    assert not verifier.is_valid(vector["payload"] + "x", vector["timestamp"], vector["signature"])
    # Five minutes later the same request is a replay.
    late = SignatureVerifier(vector["secret"], clock=FixedClock(float(vector["timestamp"]) + 301))
    assert not late.is_valid(vector["payload"], vector["timestamp"], vector["signature"])


async def test_a_replayed_documented_request_is_refused(bot: BotUnderTest) -> None:
    vector = fixtures.load("slack/signature_vector.json")
    response = await bot.http.post(
        "/slack/events",
        content=vector["payload"].encode(),
        headers={**vector["headers"], "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


def test_there_are_slack_fixtures() -> None:
    assert len(SLACK_FIXTURES) >= 18


@pytest.mark.parametrize("fixture", SLACK_FIXTURES, ids=lambda p: p.name)
async def test_every_real_payload_is_accepted_or_ignored(bot: BotUnderTest, fixture: Path) -> None:
    body, content_type = wire_form(fixture)
    response = await bot.slack(body, content_type)
    if fixture.suffix == ".jsonc":
        assert response.status_code == 400
    else:
        assert response.status_code == 200, response.text


async def test_url_verification_echoes_the_challenge(bot: BotUnderTest) -> None:
    response = await bot.slack(fixtures.raw("slack/url_verification.slack-docs.json"), JSON)
    assert response.status_code == 200
    assert response.json()["challenge"] == fixtures.load("slack/url_verification.slack-docs.json")["challenge"]


async def test_ops_help_is_answered_in_the_acknowledgement(bot: BotUnderTest) -> None:
    response = await bot.slack(slash_command_body("help"))
    assert response.status_code == 200
    text = response.json()["text"]
    for word in ("deploy", "rollback", "status", "lock", "unlock", "locks", "incident declare", "remember", "todos"):
        assert f"/ops {word}" in text
    assert (await bot.runtime.queue.depth()).ready == 0  # nothing queued: answered at once


async def test_help_in_the_acknowledgement_is_for_the_person_asking(bot: BotUnderTest) -> None:
    as_alice = (await bot.slack(slash_command_body("help", user="U_ALICE"))).json()["text"]
    as_carol = (await bot.slack(slash_command_body("help", user="U_CAROL"))).json()["text"]
    assert "`/ops approve [&lt;id&gt;]`" not in as_alice  # a deployer, not an approver
    assert "`/ops approve [&lt;id&gt;]`" in as_carol
    assert "you may deploy to `staging`, `production`" in as_alice
    assert "production" not in next(line for line in as_carol.splitlines() if "`/ops deploy" in line)
    about = (await bot.slack(slash_command_body("help deploy", user="U_CAROL"))).json()["text"]
    assert "`/ops deploy &lt;service&gt; to &lt;env&gt; --dry-run`" in about
    assert (await bot.runtime.queue.depth()).ready == 0  # all answered at once


async def test_other_slash_commands_are_queued_and_acknowledged(bot: BotUnderTest) -> None:
    response = await bot.slack(slash_command_body("status api", trigger="trig-1"))
    assert response.status_code == 200
    assert response.text == "On it: `/ops status api`"
    assert response.headers["content-type"].startswith("text/plain")
    assert (await bot.runtime.queue.depth()).ready == 1


async def test_a_retried_event_has_no_second_effect(bot: BotUnderTest) -> None:
    body = event_callback(
        {"type": "app_mention", "user": "U_ALICE", "text": "<@UBOT> help", "ts": "1.1", "channel": "C1"}, "Ev1"
    )
    assert (await bot.slack(body, JSON)).status_code == 200
    assert (await bot.slack(body, JSON)).status_code == 200
    assert (await bot.runtime.queue.depth()).ready == 1


async def test_bad_signatures_are_401(bot: BotUnderTest) -> None:
    body = slash_command_body("help")
    headers = slack_headers(body, "application/x-www-form-urlencoded", secret="wrong")
    assert (await bot.http.post("/slack/events", content=body, headers=headers)).status_code == 401
    stale = slack_headers(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 3600)
    assert (await bot.http.post("/slack/events", content=body, headers=stale)).status_code == 401
    assert (await bot.http.post("/slack/events", content=body)).status_code == 401


async def test_too_large_and_malformed_bodies(bot: BotUnderTest) -> None:
    assert (await bot.slack(b"x" * (1024 * 1024 + 1))).status_code == 413
    assert (await bot.slack(b"{broken", JSON)).status_code == 400
    assert (await bot.slack(b"payload=%7Bbroken")).status_code == 400
    assert (await bot.slack(b"hello=world")).status_code == 400


async def test_the_endpoint_is_404_without_slack_secrets(redis_url: str, emulators: Emulators) -> None:
    env = bot_env(redis_url, emulators, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    async with BotUnderTest(env) as unconfigured:
        body = slash_command_body("help")
        response = await unconfigured.http.post(
            "/slack/events",
            content=body,
            headers=slack_headers(body, "application/x-www-form-urlencoded", SLACK_SECRET),
        )
        assert response.status_code == 404


FORM_ALPHABET = st.sampled_from([*"az09=&%+;/ ", "%2", "%2F", "%zz", "%E2%9C%93", "é", "\x00", "payload"])


@settings(max_examples=400)
@given(body=st.lists(FORM_ALPHABET, max_size=40).map("".join))
def test_a_form_body_reads_as_the_standard_library_reads_it(body: str) -> None:
    # form_fields is a faster parse of slash-command bodies; whatever the bytes, it must
    # agree with the standard library's reading (last repeated name wins, blanks kept).
    assert form_fields(body) == dict(parse_qsl(body, keep_blank_values=True))


def alert_click_body(action_id: str, value: str, user: str, trigger: str) -> bytes:
    click = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
    click["user"]["id"] = user
    click["trigger_id"] = trigger
    click["channel"] = {"id": "C_ALERTS", "name": "alerts"}
    click["message"] = {"type": "message", "ts": "1700000000.000100", "text": "FIRING"}
    click["actions"][0].update(action_id=action_id, value=value, type="button")
    return f"payload={quote(json.dumps(click))}".encode()


async def test_an_alert_button_click_is_acknowledged_and_queued_once(bot: BotUnderTest) -> None:
    body = alert_click_body(SILENCE_1H_ACTION, "g" * 24, "U_ALICE", "trig-alert-1")
    assert (await bot.slack(body)).status_code == 200
    assert (await bot.slack(body)).status_code == 200  # Slack retried: one job
    [delivery] = await bot.runtime.queue.take("test", count=10, wait=0)
    assert delivery.job.kind == AlertAction.KIND
    action = AlertAction.from_json(delivery.job.payload)
    assert action == AlertAction(
        SILENCE_1H_ACTION, "g" * 24, "U_ALICE", "C_ALERTS", "1700000000.000100", "trig-alert-1"
    )
