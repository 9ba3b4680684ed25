"""The deploy form's modal: valid Block Kit for any form, outside text shown as text, metadata read back strictly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.clients.slack_deploy_form import (
    BRANCH_BLOCK,
    DEPLOY_FORM,
    ENVIRONMENT_BLOCK,
    LOADING,
    OPTIONS_LIMIT,
    REF_BLOCK,
    SERVICE_BLOCK,
    form_view,
    read_metadata,
    text_view,
)
from bot.commands.names import NAME_PATTERN, REF_PATTERN
from bot.deploys.form import Choices, DeployForm, EnvironmentChoice
from bot.model import Person, SlackThread
from tests.emulators.slack_modals import view_problem

ALICE = Person("slack", "U_ALICE")
OPS = SlackThread("C_OPS", response_url="https://hooks.slack.com/commands/T1/2/secret")

NAMES = st.from_regex(NAME_PATTERN, fullmatch=True)
REFS = st.from_regex(REF_PATTERN, fullmatch=True)
OUTSIDE_TEXT = st.text(max_size=4_000) | st.sampled_from(["<!channel> & <@U123|boss>", "*bold* `code`", ""])


@st.composite
def forms(draw: st.DrawFn) -> DeployForm:
    services = tuple(draw(st.lists(NAMES, min_size=1, max_size=120, unique=True)))
    environments = tuple(
        EnvironmentChoice(name, draw(st.booleans()))
        for name in draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    )
    branches = tuple(draw(st.lists(REFS, max_size=120, unique=True)))
    pick = st.none() | st.sampled_from(services)
    chosen = Choices(
        draw(pick),
        draw(st.none() | st.sampled_from([e.name for e in environments])),
        draw(st.none() | REFS | (st.sampled_from(branches) if branches else st.none())),
    )
    note = draw(st.none() | OUTSIDE_TEXT)
    problem = draw(st.none() | OUTSIDE_TEXT)
    return DeployForm(ALICE, OPS, services, environments, branches, chosen, note, problem)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


@given(form=forms())
def test_any_form_is_a_modal_slack_takes(form: DeployForm) -> None:
    view = form_view(form)
    assert view_problem(view) is None
    View(**view).to_dict()  # slack_sdk's own models, every nested element validated
    found = inputs(view)
    assert len(found[SERVICE_BLOCK]["element"]["options"]) <= OPTIONS_LIMIT
    assert found[SERVICE_BLOCK]["dispatch_action"] is True  # a new service shows its environments and branches
    metadata = read_metadata(view["private_metadata"])
    assert (metadata.requester, metadata.origin) == (ALICE, OPS)


def test_the_choices_are_shown_as_made() -> None:
    form = DeployForm(
        ALICE, OPS, ("api", "web"), (EnvironmentChoice("staging", False), EnvironmentChoice("production", True)),
        ("main", "v2"), Choices("api", "production", "v2"),
    )  # fmt: skip
    view = form_view(form)
    assert view["callback_id"] == DEPLOY_FORM
    assert view["submit"]["text"] == "Deploy"
    found = inputs(view)
    assert found[SERVICE_BLOCK]["element"]["initial_option"]["value"] == "api"
    environment = found[ENVIRONMENT_BLOCK]["element"]
    assert environment["initial_option"] == {"text": {"type": "plain_text", "text": "production (needs approval)"},
                                             "value": "production"}  # fmt: skip
    branch = found[BRANCH_BLOCK]["element"]
    assert [o["text"]["text"] for o in branch["options"]] == ["main (default)", "v2"]
    assert branch["initial_option"]["value"] == "v2"
    assert found[BRANCH_BLOCK]["optional"] is True
    assert "initial_value" not in found[REF_BLOCK]["element"]


def test_a_typed_ref_comes_back_in_the_typed_field() -> None:
    form = DeployForm(
        ALICE, OPS, ("api",), (EnvironmentChoice("staging", False),), ("main",), Choices("api", None, "v1.4.2")
    )
    found = inputs(form_view(form))
    assert found[REF_BLOCK]["element"]["initial_value"] == "v1.4.2"
    assert "initial_option" not in found[BRANCH_BLOCK]["element"]


def test_without_branches_the_ref_is_typed_and_the_note_says_why() -> None:
    form = DeployForm(
        ALICE, OPS, ("api",), (EnvironmentChoice("staging", False),), (), Choices("api"), note="GitHub is down"
    )
    found = inputs(form_view(form))
    assert BRANCH_BLOCK not in found
    assert found[REF_BLOCK]["label"]["text"] == "Branch, tag or commit"
    assert found[REF_BLOCK]["hint"]["text"] == "GitHub is down"


def test_a_refusal_is_at_the_top_and_outside_text_stays_text() -> None:
    refusal = f"`staging` is locked by {Person('slack', 'U_CAROL').ref}: <!channel> & friends"
    form = DeployForm(ALICE, OPS, ("api",), (EnvironmentChoice("staging", False),), ("main",), problem=refusal)
    first = form_view(form)["blocks"][0]
    assert first["type"] == "section"
    assert first["text"]["text"] == "❌ `staging` is locked by <@U_CAROL>: &lt;!channel&gt; &amp; friends"


def test_no_services_is_said_with_nothing_to_submit() -> None:
    view = form_view(DeployForm(ALICE, OPS, (), (), ()))
    assert "submit" not in view
    assert "No services are configured" in view["blocks"][0]["text"]["text"]
    assert view_problem(view) is None


@given(text=OUTSIDE_TEXT)
def test_any_text_view_is_a_modal_slack_takes(text: str) -> None:
    for view in (text_view(text), text_view(LOADING, close="Cancel")):
        assert view_problem(view) is None
        assert "submit" not in view


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        '{"channel": "C_OPS"}',  # nobody asked
        '{"channel": "C_OPS", "user": "U_ALICE", "admin": true}',  # a field opsbot never writes
        '{"channel": "#general", "user": "U_ALICE"}',
        '{"channel": "C_OPS", "user": "U_ALICE", "response_url": "javascript:alert(1)"}',
        '{"channel": "C_OPS", "user": "<@U_ALICE>"}',
        '{"channel": ["C_OPS"], "user": "U_ALICE"}',
        '{"channel": "C_OPS", "user": "U_ALICE", "response_url": "https://' + "x" * 3_000 + '"}',
    ],
)
def test_metadata_opsbot_did_not_write_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="private_metadata"):
        read_metadata(raw)


METADATA = st.text(max_size=200) | st.builds(
    lambda channel, user: f'{{"channel": "{channel}", "user": "{user}"}}', st.text(), st.text()
)


@given(raw=METADATA)
def test_any_metadata_reads_as_written_or_is_refused(raw: str) -> None:
    try:
        metadata = read_metadata(raw)
    except ValueError:
        return
    form = DeployForm(metadata.requester, metadata.origin, ("a",), (EnvironmentChoice("s", False),), ())
    assert read_metadata(form_view(form)["private_metadata"]) == metadata
