"""``POST /gitlab/webhook``: the contract's HTTP table, and every real payload."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests import fixtures
from tests.harness import BotUnderTest, Emulators, bot_env

EVENT_HEADER = {
    "note": "Note Hook",
    "merge_request": "Merge Request Hook",
    "issue": "Issue Hook",
    "pipeline": "Pipeline Hook",
    "build": "Job Hook",
    "deployment": "Deployment Hook",
}
GITLAB_FIXTURES = sorted(fixtures.path("gitlab").rglob("*.json*"))


def header_for(fixture: Path) -> str:
    kind = fixture.name.split("_hook", 1)[0].split(".", 1)[0]
    return EVENT_HEADER.get(kind, EVENT_HEADER.get({"job": "build"}.get(kind, kind), "Unknown Hook"))


def mention_note() -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("gitlab/docs/note_hook.merge_request.json"))
    payload["object_attributes"]["note"] = "@opsbot help"
    return payload


def test_there_are_gitlab_fixtures() -> None:
    assert len(GITLAB_FIXTURES) >= 14


@pytest.mark.parametrize("fixture", GITLAB_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_every_real_payload_is_accepted_ignored_or_refused_as_malformed(bot: BotUnderTest, fixture: Path) -> None:
    response = await bot.gitlab(header_for(fixture), fixture.read_bytes())
    if fixture.suffix == ".jsonc":  # published with comments and a trailing comma: not JSON
        assert response.status_code == 400
    else:
        assert response.status_code in (200, 202), response.text


async def test_a_mention_is_queued_once_per_note(bot: BotUnderTest) -> None:
    payload = mention_note()
    first = await bot.gitlab("Note Hook", payload, **{"idempotency-key": "k-1"})
    assert (first.status_code, first.json()["message"]) == (202, "queued")
    resend = await bot.gitlab("Note Hook", payload, **{"idempotency-key": "k-1"})
    assert (resend.status_code, resend.json()["message"]) == (200, "already received")
    # GitLab's retries keep the note id even if a proxy drops the idempotency key.
    retry = await bot.gitlab("Note Hook", payload)
    assert retry.json()["message"] == "already received"
    assert (await bot.runtime.queue.depth()).ready == 1


async def test_an_edited_note_triggers_nothing(bot: BotUnderTest) -> None:
    payload = mention_note()
    payload["object_attributes"]["action"] = "update"
    response = await bot.gitlab("Note Hook", payload)
    assert response.json()["message"] == "ignored: not a new comment"


async def test_a_wrong_or_missing_token_is_401(bot: BotUnderTest) -> None:
    assert (await bot.gitlab("Note Hook", mention_note(), token="wrong")).status_code == 401
    assert (await bot.gitlab("Note Hook", mention_note(), token="")).status_code == 401
    assert (await bot.runtime.queue.depth()).ready == 0


async def test_a_body_over_one_mebibyte_is_413(bot: BotUnderTest) -> None:
    assert (await bot.gitlab("Note Hook", b"[" + b"0," * (600 * 1024) + b"0]")).status_code == 413


async def test_a_malformed_body_is_400(bot: BotUnderTest) -> None:
    assert (await bot.gitlab("Note Hook", b"{oops")).status_code == 400
    broken = mention_note()
    del broken["merge_request"]
    assert (await bot.gitlab("Note Hook", broken)).status_code == 400


async def test_the_endpoint_is_404_without_a_secret(redis_url: str, emulators: Emulators) -> None:
    async with BotUnderTest(bot_env(redis_url, emulators, GITLAB_WEBHOOK_SECRET="")) as unconfigured:
        assert (await unconfigured.gitlab("Note Hook", mention_note())).status_code == 404
