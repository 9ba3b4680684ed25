"""The deploy form at the Slack edge: ``/ops deploy`` alone opens it, picking a service shows it again,
submitting it asks for the deploy.

Slack wants every one of these answered within three seconds, and a deploy's checks ask
the forge (the ref, then the deployment itself), which can take longer. So nothing here
decides anything: the command opens a "looking up" view at once (its trigger id is only
good for three seconds) and a job fills it in; a submission is checked only for what
the form's own fields must hold, answered with a "checking" view, and carried out by a
job, which shows the outcome in the same view, or the refusal with what was chosen kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from slack_bolt.async_app import AsyncAck

from bot.clients.slack import code_span
from bot.clients.slack_deploy_form import (
    BRANCH_BLOCK,
    ENVIRONMENT_BLOCK,
    LOADING,
    REF_BLOCK,
    SERVICE_BLOCK,
    FormMetadata,
    text_view,
)
from bot.clients.slack_modals import SlackModals
from bot.commands.names import is_name, is_ref
from bot.deploys.form import Choices, FormRequest, FormSubmission, OpenView, sentence
from bot.errors import UpstreamError
from bot.jobs.kinds import Job
from bot.text import code
from handlers.slack_payloads import DeployFormPayload, FormValues, deploy_form
from handlers.web import Door

log = logging.getLogger(__name__)

# Seconds views.open may take: the trigger id lasts three, and the command's own answer is due by then.
OPEN_WITHIN = 2.0
STORE_DOWN = "opsbot can't reach its store right now, so nothing was done. Please try again shortly."
TYPE_INSTEAD = code_span("/ops deploy <service>[@<ref>] to <env>")


def asks_for_form(text: str) -> bool:
    """``/ops deploy`` and nothing else; with any words it is the typed command as before."""
    return text.strip().lower() == "deploy"


def choices(values: FormValues) -> Choices:
    typed = (values.typed or "").strip()
    return Choices(values.service, values.environment, typed or values.branch or None)


def problems(values: FormValues) -> dict[str, str]:
    """What the form's own fields must hold, by the block to show it under; the rest is the deploy's checks."""
    found: dict[str, str] = {}
    for block, value, what in (
        (SERVICE_BLOCK, values.service, "service"),
        (ENVIRONMENT_BLOCK, values.environment, "environment"),
    ):
        if not value:
            found[block] = f"Choose an {what}." if what[0] in "aeiou" else f"Choose a {what}."
        elif not is_name(value):
            found[block] = f"That is not one of the {what}s offered."
    if values.branch and not is_ref(values.branch):
        found[BRANCH_BLOCK] = "That is not one of the branches offered."
    typed = (values.typed or "").strip()
    if typed and not is_ref(typed):
        found[REF_BLOCK] = "Not a branch, tag or commit name opsbot takes: letters, digits and . _ / -"
    return found


class DeployModal:
    def __init__(self, modals: SlackModals, door: Door) -> None:
        self._modals = modals
        self._door = door

    async def open(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        trigger = str(command.get("trigger_id") or "")
        where = {
            "channel": command["channel_id"], "user": command["user_id"], "response_url": command.get("response_url")
        }  # fmt: skip
        try:
            asked = msgspec.convert({key: value for key, value in where.items() if value}, FormMetadata)
        except msgspec.ValidationError:
            asked = None
        if not trigger or asked is None:
            await ack(response_type="ephemeral", text=f"The deploy form can't open here: type {TYPE_INSTEAD}.")
            return
        try:
            async with asyncio.timeout(OPEN_WITHIN):
                view = await self._modals.open(trigger, text_view(LOADING, close="Cancel"))
        except (UpstreamError, TimeoutError) as exc:
            why = "it took too long" if isinstance(exc, TimeoutError) else str(exc)
            await ack(response_type="ephemeral", text=f"Slack didn't open the deploy form ({why}): type {TYPE_INSTEAD}")
            return
        job = Job.of(FormRequest(view, asked.requester, asked.origin), trace={"trigger_id": trigger})
        if await self._door.admit(f"slack:form:{trigger}", job) is None:
            await self._tell(view, STORE_DOWN)
        await ack()

    async def service_chosen(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Another service was picked: show its environments and branches (the state has the new pick)."""
        await ack()
        form = deploy_form(body)
        request = FormRequest(form.view, form.metadata.requester, form.metadata.origin, choices(form.values))
        changed = form.trigger_id or str(action.get("action_ts") or "")
        await self._door.admit(f"slack:form-change:{changed}", Job.of(request, trace={"trigger_id": changed}))

    async def submitted(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        form = deploy_form(body)
        if found := problems(form.values):
            await ack(response_action="errors", errors=found)
            return
        submission = self._submission(form)
        job = Job.of(submission, trace={"trigger_id": submission.id})
        accepted = await self._door.admit(submission.message_id, job)
        if accepted is None:
            await ack(response_action="errors", errors={SERVICE_BLOCK: STORE_DOWN})
            return
        asked = code("/ops " + sentence(submission.chosen))
        await ack(response_action="update", view=text_view(f"⏳ Checking {asked}…"))

    @staticmethod
    def _submission(form: DeployFormPayload) -> FormSubmission:
        # Each submission has its own trigger id; a view's hash changes with every change of it.
        ident = form.trigger_id or f"{form.view.id}.{form.view.version or ''}"
        return FormSubmission(
            ident, OpenView(form.view.id), form.metadata.requester, form.metadata.origin, choices(form.values)
        )

    async def _tell(self, view: OpenView, text: str) -> None:
        try:
            await self._modals.update(view, text_view(text))
        except UpstreamError as exc:
            log.warning("could not show a note in the deploy form", extra={"error": str(exc)})
