"""``POST /github/webhook``: the contract's HTTP table, and every real payload."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import github_events
from handlers.github import signature_matches
from tests import fixtures
from tests.handlers import hostile
from tests.harness import BotUnderTest, Emulators, bot_env, github_headers
from tests.redis_server import free_port

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


# --- hostile input ---------------------------------------------------------------------------

HANDLED = ["issue_comment", "pull_request_review_comment", "issues", "deployment_status", "ping"]
UNSIGNED_HEADERS = ["x-hub-signature-256", "x-github-event", "x-github-delivery", "content-type", "content-encoding"]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(body=hostile.BODIES, headers=hostile.header_lists(UNSIGNED_HEADERS))
async def test_any_unsigned_bytes_and_headers_are_401(
    bot: BotUnderTest, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    response = await bot.http.post("/github/webhook", content=body, headers=headers)
    assert response.status_code == 401, response.text


@PROPERTY
@given(event=st.sampled_from([*HANDLED, "push"]), document=hostile.JSON)
async def test_any_signed_json_shape_is_2xx_or_400(bot: BotUnderTest, event: str, document: object) -> None:
    response = await bot.github(event, json.dumps(document).encode())
    assert response.status_code in (200, 202, 400), response.text


READ = hostile.fields_read(github_events)
EDITED = fixtures.load("github/issue_comment.created.on_issue.json") | {
    "action": "edited",
    "changes": {"body": {"from": "an earlier text"}},
}
DEPLOYMENT = fixtures.load("github/deployment_status.created.json")
CLOSED = fixtures.load("github/issues.opened.json") | {"action": "closed"}


@st.composite
def mutated_fixture(draw: st.DrawFn) -> tuple[str, bytes]:
    # The real payloads of handled events, and actions of them that read more fields (an edit, a close).
    documents = [(fixtures.github_event_of(f), json.loads(f.read_text())) for f in fixtures.github_payloads()]
    documents = [(e, d) for e, d in documents if e in HANDLED and e != "issues"]
    documents += [("issue_comment", EDITED), ("issues", CLOSED)]
    event, document = draw(st.sampled_from(documents))
    return event, draw(hostile.mutated(document, READ))


@PROPERTY
@given(case=mutated_fixture())
async def test_a_real_payload_with_any_field_changed_is_2xx_or_400(bot: BotUnderTest, case: tuple[str, bytes]) -> None:
    event, body = case
    response = await bot.github(event, body)
    assert response.status_code in (200, 202, 400), response.text


def with_(document: dict[str, Any], path: str, value: object) -> bytes:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    target[last] = value
    return json.dumps(changed).encode()


@pytest.mark.parametrize(
    ("event", "body", "reason"),
    [
        ("issue_comment", with_(MENTION, "comment.body", {"text": "@opsbot help"}), "$.comment.body"),
        ("issue_comment", with_(MENTION, "issue", [1, 2]), "$.issue"),
        ("issue_comment", with_(MENTION, "comment.id", 2**64), "$.comment.id"),
        ("issue_comment", with_(MENTION, "issue.number", -1), "$.issue.number"),
        ("issue_comment", with_(MENTION, "comment.user", None), "$.comment.user"),
        ("issue_comment", with_(EDITED, "changes", "body"), "$.changes"),
        ("issue_comment", with_(EDITED, "changes", {"body": {"from": ["x"]}}), "$.changes.body.from"),
        ("issues", with_(CLOSED, "sender", "octocat"), "$.sender"),
        ("pull_request_review_comment", b'{"comment": {"id": 1}}', "user"),
        ("deployment_status", with_(DEPLOYMENT, "deployment_status.state", 3), "$.deployment_status.state"),
        ("issues", with_(CLOSED, "issue.updated_at", {}), "$.issue.updated_at"),
        ("issue_comment", hostile.nested(100_000), "nested too deeply"),
        ("ping", hostile.nested(100_000), "nested too deeply"),
        ("issue_comment", b'{"comment": "\xff"}', "malformed"),
    ],
)
async def test_a_signed_payload_of_the_wrong_shape_is_400_with_one_line(
    bot: BotUnderTest, event: str, body: bytes, reason: str
) -> None:
    response = await bot.github(event, body)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert reason in message
    assert "\n" not in message
    assert len(message) < 300


async def test_events_not_handled_are_not_checked(bot: BotUnderTest) -> None:
    response = await bot.github("push", b'{"ref": {"unexpected": ["shape"]}}')
    assert (response.status_code, response.json()["message"]) == (202, "ignored: push is not handled")
    opened = await bot.github("issues", with_(fixtures.load("github/issues.opened.json"), "issue", "not an object"))
    assert opened.status_code == 202


async def test_a_delivery_refused_while_the_store_is_down_is_logged_by_its_guid(
    emulators: Emulators, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotUnderTest(bot_env(f"redis://127.0.0.1:{free_port()}/0", emulators)) as cut_off:
        with caplog.at_level(logging.WARNING, logger="handlers.github"):
            response = await cut_off.github("issue_comment", MENTION, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert response.status_code == 503
    [refused] = [r for r in caplog.records if r.name == "handlers.github"]
    assert refused.levelno == logging.WARNING
    assert vars(refused)["delivery"] == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert vars(refused)["event"] == "issue_comment"
