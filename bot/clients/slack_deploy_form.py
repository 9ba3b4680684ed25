"""The deploy form as a Slack modal: its views, within Block Kit's limits, and the metadata it carries.

Picking a service sends a ``block_actions`` payload (its input block dispatches), and the
view is shown again with that service's environments and its repository's branches:
the branches differ per service, so a static list of every pair could not offer them.

``private_metadata`` carries where the form was asked for (the channel the status goes
to, the slash command's reply address) and who asked. Slack hands it back untouched,
but it arrives in a request from outside, so the edge reads it with :func:`read_metadata`,
which refuses anything but the shape written here.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from bot.clients.limits import cut
from bot.clients.slack_markup import ATOMS, SECTION_LIMIT, message_text, sections, to_mrkdwn
from bot.deploys.form import DeployForm
from bot.model import Person, Place, SlackThread
from bot.text import channel, code

# Wire strings: Slack sends them back in every payload about the form.
DEPLOY_FORM = "opsbot_deploy_form"  # the views' callback_id
SERVICE_BLOCK, SERVICE_ACTION = "opsbot_deploy_service", "opsbot_deploy_service"
ENVIRONMENT_BLOCK, ENVIRONMENT_ACTION = "opsbot_deploy_environment", "opsbot_deploy_environment"
BRANCH_BLOCK, BRANCH_ACTION = "opsbot_deploy_branch", "opsbot_deploy_branch"
REF_BLOCK, REF_ACTION = "opsbot_deploy_ref", "opsbot_deploy_ref"

# Block Kit's limits.
OPTIONS_LIMIT = 100  # options in a static_select
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
HINT_LIMIT = 2_000
METADATA_LIMIT = 3_000
REF_LIMIT = 200  # the grammar's longest ref
RESPONSE_URL_LIMIT = 1_000
PROBLEM_SECTIONS = 3

TITLE = "Deploy"
CHANNEL_ID = r"^[CGD][A-Z0-9_]{1,30}$"
USER_ID = r"^[UW][A-Z0-9_]{1,30}$"


class FormMetadata(msgspec.Struct, forbid_unknown_fields=True):
    """The form's ``private_metadata``: where it was asked for, and by whom."""

    channel: Annotated[str, msgspec.Meta(pattern=CHANNEL_ID)]
    user: Annotated[str, msgspec.Meta(pattern=USER_ID)]
    response_url: Annotated[str, msgspec.Meta(max_length=RESPONSE_URL_LIMIT, pattern=r"^(https?://\S+)?$")] = ""

    @property
    def requester(self) -> Person:
        return Person("slack", self.user)

    @property
    def origin(self) -> SlackThread:
        return SlackThread(self.channel, response_url=self.response_url or None)


def metadata_for(requester: Person, origin: Place) -> str:
    if not isinstance(origin, SlackThread):
        raise TypeError(f"a Slack form can't report to {origin.platform}")
    return msgspec.json.encode(FormMetadata(origin.channel, requester.id, origin.response_url or "")).decode()


def read_metadata(raw: str) -> FormMetadata:
    """The metadata written by :func:`metadata_for`; :class:`ValueError` for anything else."""
    if len(raw) > METADATA_LIMIT:
        raise ValueError("private_metadata is longer than Slack allows")
    try:
        return msgspec.json.decode(raw, type=FormMetadata)
    except msgspec.DecodeError as exc:  # ValidationError is one too
        raise ValueError(f"private_metadata is not the deploy form's: {exc}") from exc


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(to_mrkdwn(text), limit, "…", ATOMS)}


def _option(value: str, label: str) -> dict[str, Any]:
    shown = label if len(label) <= OPTION_TEXT_LIMIT else label[: OPTION_TEXT_LIMIT - 1] + "…"
    return {"text": _plain(shown), "value": value}


def _select(
    block: str, action: str, label: str, options: list[dict[str, Any]], chosen: str | None, *, optional: bool = False
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": action, "options": options[:OPTIONS_LIMIT]}
    initial = next((o for o in element["options"] if o["value"] == chosen), None)
    if initial is not None:
        element["initial_option"] = initial
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element, "optional": optional}


def _base(close: str) -> dict[str, Any]:
    return {"type": "modal", "callback_id": DEPLOY_FORM, "title": _plain(TITLE), "close": _plain(close)}


def text_view(text: str, *, close: str = "Close") -> dict[str, Any]:
    """A view of ``text`` alone, nothing to submit: loading, working, done, or why nothing can be asked."""
    shown = [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in sections(message_text(text))]
    return _base(close) | {"blocks": shown[:PROBLEM_SECTIONS]}


LOADING = "⏳ Looking up the services and their branches…"


def form_view(form: DeployForm) -> dict[str, Any]:
    if not form.services:
        return text_view("No services are configured in ops.yaml: there is nothing to deploy.")
    blocks: list[dict[str, Any]] = []
    if form.problem:
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in sections(message_text(f"❌ {form.problem}"))[:PROBLEM_SECTIONS]
        ]
    chosen = form.chosen
    service = _select(SERVICE_BLOCK, SERVICE_ACTION, "Service", [_option(s, s) for s in form.services], chosen.service)
    blocks.append(service | {"dispatch_action": True})  # a new service brings its environments and branches
    environments = [_option(e.name, f"{e.name} (needs approval)" if e.protected else e.name) for e in form.environments]
    blocks.append(_select(ENVIRONMENT_BLOCK, ENVIRONMENT_ACTION, "Environment", environments, chosen.environment))
    offered = [b for b in form.branches if len(b) <= OPTION_VALUE_LIMIT]
    if offered:
        branches = [_option(b, f"{b} (default)" if i == 0 else b) for i, b in enumerate(offered)]
        blocks.append(_select(BRANCH_BLOCK, BRANCH_ACTION, "Branch", branches, chosen.ref, optional=True))
    typed: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REF_ACTION,
        "max_length": REF_LIMIT,
        "placeholder": _plain("v1.4.2, or a commit"),
    }
    if chosen.ref and chosen.ref not in offered[:OPTIONS_LIMIT]:
        typed["initial_value"] = chosen.ref[:REF_LIMIT]
    hint = form.note or "Leave both empty to deploy the default branch; a tag or commit typed here wins."
    blocks.append({
        "type": "input", "block_id": REF_BLOCK, "optional": True, "element": typed,
        "label": _plain("Or a tag or commit" if offered else "Branch, tag or commit"),
        "hint": _plain(hint[:HINT_LIMIT]),
    })  # fmt: skip
    same = code("/ops deploy <service>@<ref> to <env>")
    where = f" The status is posted in {channel(form.origin.channel)}." if isinstance(form.origin, SlackThread) else ""
    blocks.append({"type": "context", "elements": [_mrkdwn(f"The same as typing {same}.{where}")]})
    metadata = metadata_for(form.requester, form.origin)
    return _base("Cancel") | {"submit": _plain("Deploy"), "private_metadata": metadata, "blocks": blocks}
