"""The deploy form through the signed /slack/events endpoint, a worker and the emulators: `/ops deploy`
alone opens it, picking a service shows its environments and branches, a submission deploys as the
typed command would (with its refusals shown in the form), and a form opsbot didn't make is refused."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.clients.slack_deploy_form import (
    BRANCH_BLOCK,
    ENVIRONMENT_BLOCK,
    LOADING,
    REF_BLOCK,
    SERVICE_BLOCK,
    read_metadata,
)
from tests.emulators.slack_modals import view_problem
from tests.harness import BotUnderTest, Emulators, approve_click_body, event_callback, slash_command_body
from tests.test_deploys_end_to_end import API, deployment_status, setup_forges, slack, slack_answers

V2_SHA = "b" * 40


def interaction(payload: dict[str, Any]) -> bytes:
    return f"payload={quote(orjson.dumps(payload).decode())}".encode()


def texts(view: dict[str, Any]) -> str:
    return "\n".join(
        str(block.get("text", {}).get("text", "")) + "".join(str(e.get("text", "")) for e in block.get("elements", []))
        for block in view["blocks"]
    )


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}


def values(element: dict[str, Any]) -> list[str]:
    return [option["value"] for option in element["options"]]


async def open_form(bot: BotUnderTest, emulators: Emulators, user: str = "U_ALICE") -> str:
    """``/ops deploy`` by ``user``, answered at once with the modal open; the view's id once it is filled in."""
    response = await bot.slack(slash_command_body("deploy", user=user, trigger=emulators.slack.trigger(user)))
    assert response.status_code == 200
    assert response.content == b""  # no "On it" message: the modal is the answer
    [view] = emulators.slack.open_views()
    assert LOADING in texts(view)
    await bot.run_jobs()
    return str(view["id"])


async def pick_service(bot: BotUnderTest, emulators: Emulators, view_id: str, service: str) -> None:
    response = await bot.slack(interaction(emulators.slack.view_action(view_id, SERVICE_BLOCK, service)))
    assert response.status_code == 200
    await bot.run_jobs()


async def submit(
    bot: BotUnderTest, emulators: Emulators, view_id: str, chosen: dict[str, str | None], user: str | None = None
) -> dict[str, Any]:
    response = await bot.slack(interaction(emulators.slack.view_submission(view_id, chosen, user=user)))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    emulators.slack.answered(view_id, answer)
    return answer


async def test_the_form_deploys_what_was_chosen_and_reports_in_the_channel(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    view_id = await open_form(bot, emulators)
    form = emulators.slack.view(view_id)
    assert view_problem({k: form[k] for k in ("type", "title", "submit", "close", "blocks", "callback_id")}) is None
    assert values(inputs(form)[SERVICE_BLOCK]) == ["api", "web"]
    assert values(inputs(form)[ENVIRONMENT_BLOCK]) == ["staging", "production"]
    assert BRANCH_BLOCK not in inputs(form)  # which repository's branches? none chosen yet
    assert read_metadata(form["private_metadata"]).origin.channel == "C_OPS"

    await pick_service(bot, emulators, view_id, "api")
    form = emulators.slack.view(view_id)
    assert values(inputs(form)[BRANCH_BLOCK]) == ["main", "v2"]  # from the GitHub emulator, default first
    assert inputs(form)[SERVICE_BLOCK]["initial_option"]["value"] == "api"

    answer = await submit(bot, emulators, view_id, {ENVIRONMENT_BLOCK: "staging", BRANCH_BLOCK: "v2"})
    assert answer["response_action"] == "update"
    assert "Checking" in texts(answer["view"])
    assert "`/ops deploy api@v2 to staging`" in texts(answer["view"])
    assert emulators.github.deployments(API) == []  # nothing asked of the forge before the answer
    await bot.run_jobs()

    [deployment] = emulators.github.deployments(API)
    assert (deployment["ref"], deployment["environment"]) == (V2_SHA, "staging")
    assert deployment["payload"]["opsbot"]["requested_by"] == "U_ALICE"
    assert deployment["payload"]["opsbot"]["report_to"] == {"channel": "C_OPS", "thread_ts": None, "platform": "slack"}
    [status] = slack_answers(emulators)
    assert "⏳ queued" in status["text"]
    assert "for <@U_ALICE>" in status["text"]
    done = emulators.slack.view(view_id)
    assert "submit" not in done or done["submit"] is None
    assert "⏳ queued" in texts(done)
    assert "<#C_OPS>" in texts(done)

    # The status comes back as for a typed deploy: the same message, edited.
    await bot.github("deployment_status", deployment_status(deployment, "success"))
    await bot.run_jobs()
    edited, live = slack_answers(emulators)
    assert edited["ts"] == status["ts"]
    assert "✅ live" in edited["text"]
    assert live["text"] == "✅ `api` `v2` is live on `staging`."


async def test_production_from_the_form_waits_for_someone_elses_approval(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    view_id = await open_form(bot, emulators)
    await submit(bot, emulators, view_id, {SERVICE_BLOCK: "api", ENVIRONMENT_BLOCK: "production"})
    await bot.run_jobs()
    assert emulators.github.deployments(API) == []
    [asked] = slack_answers(emulators)
    assert "needs an approval by one of <@U_CAROL>" in asked["text"]
    assert "needs an approval" in texts(emulators.slack.view(view_id))
    assert (await bot.slack(approve_click_body(asked, "U_CAROL"))).status_code == 200
    await bot.run_jobs()
    [deployment] = emulators.github.deployments(API)
    assert deployment["production_environment"] is True


async def test_a_locked_environment_is_refused_in_the_form_and_nothing_is_created(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    await slack(bot, "lock staging --reason schema migration", user="U_CAROL")
    view_id = await open_form(bot, emulators)
    await pick_service(bot, emulators, view_id, "api")
    await submit(bot, emulators, view_id, {SERVICE_BLOCK: "api", ENVIRONMENT_BLOCK: "staging", BRANCH_BLOCK: "v2"})
    await bot.run_jobs()
    form = emulators.slack.view(view_id)
    assert "❌ `staging (all services)` is locked by <@U_CAROL>: schema migration" in texts(form)
    assert form["submit"]["text"] == "Deploy"  # still a form: choose again, or wait
    assert inputs(form)[BRANCH_BLOCK]["initial_option"]["value"] == "v2"
    assert emulators.github.deployments(API) == []
    assert len(slack_answers(emulators)) == 1  # the lock's own answer; the refusal is in the form


async def test_a_non_deployer_is_refused_production_in_the_form(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    emulators.slack.add_user("U_EVE", "eve")
    view_id = await open_form(bot, emulators, user="U_EVE")
    await submit(bot, emulators, view_id, {SERVICE_BLOCK: "api", ENVIRONMENT_BLOCK: "production"})
    await bot.run_jobs()
    assert "you are not one of its deployers" in texts(emulators.slack.view(view_id))
    assert emulators.github.deployments(API) == []
    assert slack_answers(emulators) == []


async def test_fields_the_form_cant_hold_are_answered_in_place_and_nothing_is_queued(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    view_id = await open_form(bot, emulators)
    answer = await submit(
        bot, emulators, view_id, {SERVICE_BLOCK: "api", ENVIRONMENT_BLOCK: "staging", REF_BLOCK: "v1; rm -rf /"}
    )
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {REF_BLOCK}
    assert (await bot.runtime.queue.depth()).ready == 0


async def test_a_form_opsbot_did_not_make_is_refused_and_nothing_happens(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    setup_forges(emulators)
    view_id = await open_form(bot, emulators)
    chosen = {SERVICE_BLOCK: "api", ENVIRONMENT_BLOCK: "staging"}
    genuine = emulators.slack.view_submission(view_id, chosen)
    tampered = []
    for metadata in ('{"channel": "C_OTHER"}', "C_OPS", '{"channel": "C_OPS", "user": "U_ALICE", "as": "U_CAROL"}'):
        changed = copy.deepcopy(genuine)
        changed["view"]["private_metadata"] = metadata
        tampered.append(changed)
    stranger = copy.deepcopy(genuine)
    stranger["user"]["id"] = "U_EVE"  # someone else submitting the form opened for U_ALICE
    tampered.append(stranger)
    for payload in tampered:
        response = await bot.slack(interaction(payload))
        assert response.status_code == 400, response.text
    await bot.run_jobs()
    assert emulators.github.deployments(API) == []
    assert slack_answers(emulators) == []


async def test_an_expired_trigger_says_to_type_the_command(bot: BotUnderTest, emulators: Emulators) -> None:
    body = slash_command_body("deploy", trigger=emulators.slack.trigger(age=5.0))
    response = await bot.slack(body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "expired_trigger_id" in answer["text"]
    assert "/ops deploy &lt;service&gt;[@&lt;ref&gt;] to &lt;env&gt;" in answer["text"]
    assert emulators.slack.open_views() == []
    assert (await bot.runtime.queue.depth()).ready == 0


async def test_deploy_with_words_and_a_mention_of_deploy_are_as_before(bot: BotUnderTest, emulators: Emulators) -> None:
    setup_forges(emulators)
    await slack(bot, "deploy api to staging")
    assert len(emulators.github.deployments(API)) == 1
    mention = {"type": "app_mention", "user": "U_ALICE", "text": "<@UBOT> deploy", "ts": "1.000100", "channel": "C_OPS"}
    assert (await bot.slack(event_callback(mention), "application/json")).status_code == 200
    await bot.run_jobs()
    assert (
        "Usage: `/ops deploy &lt;service&gt;[@&lt;ref&gt;] to &lt;env&gt; [--dry-run]`"
        in slack_answers(emulators)[-1]["text"]
    )
    assert emulators.slack.open_views() == []


# Mostly values the form offers, otherwise anything at all (a forged request can send anything).
OFFERED = st.sampled_from(["api", "web", "staging", "production", "main", "v2"])
ANY_TEXT = st.integers(0, 3).flatmap(lambda n: OFFERED if n else st.none() | st.text(max_size=300))
# One form per bot, opened by the first example: opening and filling it in takes a worker's run.
FORMS: WeakKeyDictionary[BotUnderTest, str] = WeakKeyDictionary()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(service=ANY_TEXT, environment=ANY_TEXT, branch=ANY_TEXT, typed=ANY_TEXT)
async def test_any_submitted_values_are_refused_or_asked_never_a_failure(
    bot: BotUnderTest, emulators: Emulators, service: str | None, environment: str | None, branch: str | None,
    typed: str | None,
) -> None:  # fmt: skip
    if bot not in FORMS:
        setup_forges(emulators)
        FORMS[bot] = await open_form(bot, emulators)
        await pick_service(bot, emulators, FORMS[bot], "api")
    view_id = FORMS[bot]
    chosen = {SERVICE_BLOCK: service, ENVIRONMENT_BLOCK: environment, BRANCH_BLOCK: branch, REF_BLOCK: typed}
    answered = len(slack_answers(emulators))
    response = await bot.slack(interaction(emulators.slack.view_submission(view_id, chosen)))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        return
    answer = response.json()
    event(answer["response_action"])
    emulators.slack.answered(view_id, answer)  # the view Slack takes, in place of the form
    if answer["response_action"] == "errors":
        assert set(answer["errors"]) <= {SERVICE_BLOCK, ENVIRONMENT_BLOCK, BRANCH_BLOCK, REF_BLOCK}
        return
    await bot.run_jobs()
    # The outcome or the refusal, in the form; an answer in the channel only when the deploy was asked for.
    shown = texts(emulators.slack.view(view_id))
    refused = "❌" in shown
    assert refused != (len(slack_answers(emulators)) == answered + 1)
    assert not emulators.errors
    if not refused:  # the form is done: the next example opens another
        emulators.slack.close_view(view_id)
        FORMS[bot] = view_id = await open_form(bot, emulators)
    await pick_service(bot, emulators, view_id, "api")
