"""``POST /github/webhook``: the contract's HTTP table, and every real payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.github import signature_matches
from tests import fixtures
from tests.harness import BotUnderTest, Emulators, bot_env, github_headers

MENTION = fixtures.load("github/issue_comment.created.on_issue.json")
MENTION["comment"]["body"] = "@opsbot help"


def test_the_documented_signature_vector_verifies() -> None:
    vector = fixtures.load("github/signature_vector.json")
    body = vector["payload"].encode()
    assert signature_matches(vector["secret"].encode(), body, vector["signature"])
    assert not signature_matches(vector["secret"].encode(), body + b" ", vector["signature"])
    assert not signature_matches(b"another secret", body, vector["signature"])
    assert not signature_matches(vector["secret"].encode(), body, vector["signature"].replace("sha256=", "sha1="))


@pytest.mark.parametrize("fixture", fixtures.github_payloads(), ids=lambda p: p.name)
def test_octokit_examples_match_their_schemas(fixture: Path) -> None:
    payload = json.loads(fixture.read_text())
    errors = list(
        fixtures.github_schema_validator(fixtures.github_event_of(fixture), payload.get("action")).iter_errors(payload)
    )
    if fixture.name == "issue_comment.created.on_pull_request.json":
        # A real delivery from 2019: it predates nine fields the schema now requires.
        assert len(errors) == 9
    else:
        assert errors == []


@pytest.mark.parametrize("fixture", fixtures.github_payloads(), ids=lambda p: p.name)
async def test_every_real_payload_is_accepted_or_ignored(bot: BotUnderTest, fixture: Path) -> None:
    response = await bot.github(fixtures.github_event_of(fixture), fixture.read_bytes())
    assert response.status_code in (200, 202), response.text


async def test_a_mention_is_queued_and_a_redelivery_has_no_second_effect(bot: BotUnderTest) -> None:
    first = await bot.github("issue_comment", MENTION, delivery="d-1")
    assert first.status_code == 202
    assert first.json()["message"] == "queued"
    again = await bot.github("issue_comment", MENTION, delivery="d-1")
    assert again.status_code == 200
    assert again.json()["message"] == "already received"
    assert (await bot.runtime.queue.depth()).ready == 1


async def test_a_bad_or_missing_signature_is_401(bot: BotUnderTest) -> None:
    body = json.dumps(MENTION).encode()
    headers = github_headers(body, "issue_comment", secret="not the secret")
    assert (await bot.http.post("/github/webhook", content=body, headers=headers)).status_code == 401
    del headers["x-hub-signature-256"]
    assert (await bot.http.post("/github/webhook", content=body, headers=headers)).status_code == 401
    assert (await bot.runtime.queue.depth()).ready == 0


async def test_a_body_over_one_mebibyte_is_413(bot: BotUnderTest) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await bot.github("issue_comment", body)).status_code == 413


async def test_a_signed_but_malformed_body_is_400(bot: BotUnderTest) -> None:
    assert (await bot.github("issue_comment", b"{not json")).status_code == 400
    assert (await bot.github("issue_comment", b"[1, 2]")).status_code == 400
    assert (await bot.github("issue_comment", {"action": "created", "comment": {}})).status_code == 400


async def test_the_endpoint_is_404_without_a_secret(redis_url: str, emulators: Emulators) -> None:
    async with BotUnderTest(bot_env(redis_url, emulators, GITHUB_WEBHOOK_SECRET="")) as unconfigured:
        body = json.dumps(MENTION).encode()
        response = await unconfigured.http.post(
            "/github/webhook", content=body, headers=github_headers(body, "issue_comment")
        )
        assert response.status_code == 404


async def test_ping_is_answered(bot: BotUnderTest) -> None:
    response = await bot.github("ping", fixtures.raw("github/ping.json"))
    assert response.status_code == 200
    assert response.json()["message"] == "pong"
