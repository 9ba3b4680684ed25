"""The shape of each Slack request opsbot acts on, checked once at the edge.

Listeners read ``command["user_id"]``, ``event["channel"]``, ``body["user"]["id"]``
and so on; a signed request missing one of them, or carrying an object where
a string belongs, must be a 400 with one line, not a listener's KeyError
that Bolt answers with 500 (Slack retries 5xx and disables apps that keep
failing). Only what the listeners read is declared; anything else passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from bot.clients.slack_deploy_form import (
    BRANCH_ACTION,
    BRANCH_BLOCK,
    DEPLOY_FORM,
    ENVIRONMENT_ACTION,
    ENVIRONMENT_BLOCK,
    REF_ACTION,
    REF_BLOCK,
    SERVICE_ACTION,
    SERVICE_BLOCK,
    FormMetadata,
    read_metadata,
)
from bot.deploys.form import OpenView
from handlers.http_payloads import MalformedPayload, one_line


class SlashCommand(msgspec.Struct):
    command: str
    user_id: str
    channel_id: str
    text: str = ""
    trigger_id: str = ""
    response_url: str = ""


class Mention(msgspec.Struct):
    type: str
    channel: str
    ts: str
    user: str | None = None
    text: str | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    parent_user_id: str | None = None


class HomeOpened(msgspec.Struct):
    type: str
    user: str
    tab: str | None = None


class Authorization(msgspec.Struct):
    user_id: str | None = None
    is_bot: bool | None = None


class EventCallback(msgspec.Struct):
    event: dict[str, Any]
    event_id: str | None = None
    authorizations: list[Authorization] | None = None


class Id(msgspec.Struct):
    id: str


class Action(msgspec.Struct):
    action_id: str | None = None
    value: str | None = None


class BlockActions(msgspec.Struct):
    user: Id
    actions: list[Action]
    channel: Id | None = None
    trigger_id: str | None = None


class SelectedOption(msgspec.Struct):
    value: str


class InputState(msgspec.Struct):
    """One input's state in a view: a typed ``value`` or a ``selected_option``, either of them null."""

    value: str | None = None
    selected_option: SelectedOption | None = None


class ViewState(msgspec.Struct):
    values: dict[str, dict[str, InputState]] = msgspec.field(default_factory=dict)


class SubmittedView(msgspec.Struct):
    id: str
    callback_id: str
    hash: str = ""
    private_metadata: str = ""
    state: ViewState = msgspec.field(default_factory=ViewState)


class ViewPayload(msgspec.Struct):
    """A ``view_submission``, or a ``block_actions`` from inside a view."""

    user: Id
    view: SubmittedView
    trigger_id: str = ""


@dataclass(frozen=True)
class FormValues:
    """What the deploy form's inputs hold; None where nothing was chosen or typed."""

    service: str | None
    environment: str | None
    branch: str | None
    typed: str | None


@dataclass(frozen=True)
class DeployFormPayload:
    view: OpenView
    metadata: FormMetadata
    values: FormValues
    trigger_id: str


def deploy_form(fields: dict[str, Any]) -> DeployFormPayload:
    """The deploy form's payload; :class:`MalformedPayload` unless it is one opsbot's form could send:
    its metadata as written, submitted by the person it was opened for."""
    try:
        payload = msgspec.convert(fields, ViewPayload)
        metadata = read_metadata(payload.view.private_metadata)
    except (msgspec.ValidationError, ValueError) as exc:
        raise MalformedPayload(one_line(str(exc))) from exc
    if metadata.user != payload.user.id:  # a modal is only ever on its opener's screen
        raise MalformedPayload("the deploy form was submitted by someone it was not opened for")
    values = payload.view.state.values

    def held(block: str, action: str) -> str | None:
        state = values.get(block, {}).get(action)
        if state is None:
            return None
        return state.selected_option.value if state.selected_option is not None else state.value

    chosen = FormValues(
        held(SERVICE_BLOCK, SERVICE_ACTION), held(ENVIRONMENT_BLOCK, ENVIRONMENT_ACTION),
        held(BRANCH_BLOCK, BRANCH_ACTION), held(REF_BLOCK, REF_ACTION),
    )  # fmt: skip
    return DeployFormPayload(OpenView(payload.view.id, payload.view.hash or None), metadata, chosen, payload.trigger_id)


def is_deploy_form(fields: dict[str, Any]) -> bool:
    view = fields.get("view")
    return (
        fields.get("type") in ("view_submission", "block_actions")
        and isinstance(view, dict)
        and view.get("callback_id") == DEPLOY_FORM
    )


# Events whose fields the listeners read (others are acknowledged and ignored).
READ_EVENTS = {"app_mention", "message"}


def check_shape(fields: dict[str, Any]) -> None:
    """:class:`MalformedPayload` with one line if a field a listener reads has the wrong shape."""
    try:
        if "command" in fields:
            msgspec.convert(fields, SlashCommand)
        elif fields.get("type") == "event_callback":
            callback = msgspec.convert(fields, EventCallback)
            if callback.event.get("type") in READ_EVENTS:  # every message event, edits too, has both
                msgspec.convert(callback.event, Mention)
            elif callback.event.get("type") == "app_home_opened":
                msgspec.convert(callback.event, HomeOpened)
        elif fields.get("type") == "block_actions":
            msgspec.convert(fields, BlockActions)
    except msgspec.ValidationError as exc:
        raise MalformedPayload(one_line(str(exc))) from exc
    if is_deploy_form(fields):
        deploy_form(fields)
