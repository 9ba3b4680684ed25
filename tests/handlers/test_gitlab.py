"""``POST /gitlab/webhook``: the contract's HTTP table, and every real payload."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import gitlab_events
from tests import fixtures
from tests.handlers import hostile
from tests.harness import BotUnderTest, Emulators, bot_env
from tests.redis_server import free_port

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


# --- hostile input ---------------------------------------------------------------------------

UNSIGNED_HEADERS = ["x-gitlab-token", "x-gitlab-event", "idempotency-key", "content-type", "content-encoding"]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_FIXTURES = [f for f in GITLAB_FIXTURES if f.suffix == ".json"]


@PROPERTY
@given(body=hostile.BODIES, headers=hostile.header_lists(UNSIGNED_HEADERS))
async def test_any_bytes_and_headers_without_the_token_are_401(
    bot: BotUnderTest, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    response = await bot.http.post("/gitlab/webhook", content=body, headers=headers)
    assert response.status_code == 401, response.text


@PROPERTY
@given(kind=st.sampled_from(["note", "issue", "pipeline", "deployment", "push", None]), fields=hostile.JSON)
async def test_any_json_shape_with_the_token_is_2xx_or_400(bot: BotUnderTest, kind: str | None, fields: Any) -> None:
    document = {"object_kind": kind, **fields} if isinstance(fields, dict) else fields
    response = await bot.gitlab("Note Hook", json.dumps(document).encode())
    assert response.status_code in (200, 202, 400), response.text


READ = hostile.fields_read(gitlab_events)


@st.composite
def mutated_fixture(draw: st.DrawFn) -> tuple[str, bytes]:
    fixture = draw(st.sampled_from(JSON_FIXTURES))
    return header_for(fixture), draw(hostile.mutated(json.loads(fixture.read_text()), READ))


@PROPERTY
@given(case=mutated_fixture())
async def test_a_real_payload_with_any_field_changed_is_2xx_or_400(bot: BotUnderTest, case: tuple[str, bytes]) -> None:
    event, body = case
    response = await bot.gitlab(event, body)
    assert response.status_code in (200, 202, 400), response.text


def with_(document: dict[str, Any], path: str, value: object) -> bytes:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    target[last] = value
    return json.dumps(changed).encode()


NOTE = mention_note()
EDITED_NOTE = mention_note()
EDITED_NOTE["object_attributes"]["action"] = "update"
CLOSED_ISSUE = fixtures.load("gitlab/docs/issue_hook.json")
CLOSED_ISSUE["object_attributes"]["action"] = "close"
PIPELINE = fixtures.load("gitlab/docs/pipeline_hook.json")
DEPLOYMENT = fixtures.load("gitlab/docs/deployment_hook.json")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (with_(NOTE, "object_attributes", "a note"), "$.object_attributes"),
        (with_(NOTE, "object_attributes", [NOTE["object_attributes"]]), "$.object_attributes"),
        (with_(NOTE, "object_attributes.note", {"text": "@opsbot help"}), "$.object_attributes.note"),
        (with_(NOTE, "object_attributes.id", 2**64), "$.object_attributes.id"),
        (with_(NOTE, "merge_request.iid", "1"), "$.merge_request.iid"),
        (with_(NOTE, "user", ["root"]), "$.user"),
        (with_(NOTE, "object_kind", {"kind": "note"}), "$.object_kind"),
        (with_(EDITED_NOTE, "object_attributes.updated_at", 17), "$.object_attributes.updated_at"),
        (with_(CLOSED_ISSUE, "object_attributes.iid", 1.5), "$.object_attributes.iid"),
        (with_(CLOSED_ISSUE, "object_attributes", None), "$.object_attributes"),
        (with_(PIPELINE, "object_attributes.variables", {"key": "OPSBOT_SERVICE"}), "variables"),
        (with_(DEPLOYMENT, "deployment_id", 2**70), "$.deployment_id"),
        (with_(DEPLOYMENT, "project", "acme/api"), "$.project"),
        (hostile.nested(100_000), "nested too deeply"),
        (b'{"object_kind": "note", "object_attributes": ' + hostile.nested(100_000) + b"}", "nested too deeply"),
    ],
)
async def test_a_payload_of_the_wrong_shape_is_400_with_one_line(bot: BotUnderTest, body: bytes, reason: str) -> None:
    response = await bot.gitlab("Note Hook", body)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert reason in message
    assert "\n" not in message
    assert len(message) < 300


async def test_events_not_handled_are_not_checked(bot: BotUnderTest) -> None:
    push = await bot.gitlab("Push Hook", b'{"object_kind": "push", "commits": {"odd": "shape"}}')
    assert push.status_code == 202
    opened = fixtures.load("gitlab/docs/issue_hook.json")
    opened["object_attributes"]["action"] = "open"
    assert (await bot.gitlab("Issue Hook", with_(opened, "user", "not an object"))).status_code == 202


async def test_a_delivery_refused_while_the_store_is_down_is_logged_with_what_finds_it_in_gitlab(
    emulators: Emulators, caplog: pytest.LogCaptureFixture
) -> None:
    """GitLab doesn't retry a 5xx and its API can't redeliver: the log line is how an operator finds
    the event in the webhook's Recent events to press Resend request."""
    async with BotUnderTest(bot_env(f"redis://127.0.0.1:{free_port()}/0", emulators)) as cut_off:
        with caplog.at_level(logging.WARNING, logger="handlers.gitlab"):
            response = await cut_off.gitlab(
                "Note Hook",
                mention_note(),
                **{"x-gitlab-event-uuid": "3c6d4a0c-0b9c-4a5e-9f3e-1d7e2b6f8a91", "idempotency-key": "k-9"},
            )
    assert response.status_code == 503
    [refused] = [r for r in caplog.records if r.name == "handlers.gitlab"]
    assert refused.levelno == logging.WARNING
    assert "Recent events" in refused.getMessage()
    assert vars(refused)["event_uuid"] == "3c6d4a0c-0b9c-4a5e-9f3e-1d7e2b6f8a91"
    assert vars(refused)["event"] == "Note Hook"
    assert vars(refused)["project"] == mention_note()["project"]["path_with_namespace"]


async def test_a_delivery_that_is_queued_logs_no_refusal(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="handlers.gitlab"):
        response = await bot.gitlab("Note Hook", mention_note(), **{"x-gitlab-event-uuid": "e-1"})
    assert response.status_code == 202
    assert not [r for r in caplog.records if r.name == "handlers.gitlab"]
