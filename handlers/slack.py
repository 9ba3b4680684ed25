"""``POST /slack/events``: Slack's Events API, slash commands and interactivity.

Requests go through slack-bolt's AsyncApp via its Starlette adapter
functions. The signature is checked here first (:mod:`handlers.slack_signature`: HMAC
over ``v0:timestamp:body`` on raw bytes, constant-time, five-minute replay window), so
this endpoint can also answer 413 and 400 as the contract asks before Bolt
parses anything; Bolt's own check is then redundant and switched off.

Listeners only translate and queue: ``/ops help`` is answered in the
acknowledgement itself, ``/ops deploy`` alone opens the deploy form
(:mod:`handlers.slack_modal`), everything else becomes a job.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from bot.alerts.actions import ACTIONS, AlertAction
from bot.clients.slack import code_span, to_mrkdwn
from bot.clients.slack_deploy_form import DEPLOY_FORM, SERVICE_ACTION
from bot.clients.slack_modals import SlackModals
from bot.commands.table import CommandTable
from bot.conversation.following import Following
from bot.deploys.commands import APPROVE_ACTION
from bot.errors import StoreUnavailable
from bot.home.model import ACTION_IDS, HomeAction, HomeRefresh
from bot.jobs.intake import Accepted, Intake
from bot.jobs.kinds import Job
from bot.memory.offers import KEEP_ACTION
from bot.model import ChatMessage, Person, SlackThread
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from handlers.http_payloads import MalformedPayload
from handlers.slack_modal import DeployModal, asks_for_form
from handlers.slack_payloads import check_shape
from handlers.slack_signature import SlackSignature
from handlers.web import Door

SOURCE = "slack"
SLASH_COMMAND = "/ops"
ANYTHING = re.compile(".*")
LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>[\s:,]*")


class StoreUnavailableForSlack(Exception):
    """Raised from a listener so Bolt answers 5xx and Slack retries the event."""


def form_fields(text: str) -> dict[str, str]:
    """A form body as fields, the last of a repeated name winning; what ``dict(parse_qsl(text,
    keep_blank_values=True))`` gives, without its per-field generality, which was a tenth
    of what acknowledging a slash command cost."""
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[_unquoted(name)] = _unquoted(value)
    return fields


def _unquoted(text: str) -> str:
    # Most fields (ids, flags) have nothing encoded: skip the decoder for those.
    return unquote_plus(text) if "%" in text or "+" in text else text


def slack_fields(body: bytes, content_type: str) -> Any:
    """The request's fields: a JSON event, a slash command's form, or an interactivity ``payload``.

    Bolt's own parser treats any form body containing the substring "payload"
    as interactivity, so ``/ops why is the webhook payload empty?`` (or a
    channel named ``payload-team``) lost its fields. Here only a form field
    named ``payload`` is one; slash commands never carry that field.
    """
    text = body.decode("utf-8")
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    fields = form_fields(text)
    if "payload" in fields and "command" not in fields:
        return json.loads(fields["payload"])
    return fields


def bolt_request(request: Request, body: bytes) -> AsyncBoltRequest:
    """Bolt's request from fields parsed once here; :class:`MalformedPayload` unless it is a
    payload Slack sends."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        fields = slack_fields(body, content_type)
    # Bad UTF-8 or JSON, or nesting deeper than json.loads can recurse.
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(exc.__class__.__name__) from exc
    if not isinstance(fields, dict) or not ({"type", "command", "ssl_check"} & fields.keys()):
        raise MalformedPayload("neither an event, a command nor an interactivity payload")
    check_shape(fields)
    # Bolt takes already-parsed fields only in its "socket_mode"; the mode
    # otherwise decides just request verification (checked above, and off)
    # and how lazy listeners copy a request (opsbot has none). No header or
    # query reaches Bolt: the listeners read neither, and the headers Bolt
    # does read are its own (x-slack-bolt-lazy-only runs only lazy listeners),
    # which a caller has no business setting. Copying them cost every request.
    try:
        return AsyncBoltRequest(body=fields, mode="socket_mode")
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        # Bolt reads the user, channel, team and enterprise ids of every payload
        # to build its context, and trips over ones of the wrong JSON type.
        raise MalformedPayload(f"an id field of the wrong type ({exc.__class__.__name__})") from exc


def mention_from(event: dict[str, Any]) -> ChatMessage:
    channel = str(event["channel"])
    ts = str(event["ts"])
    return ChatMessage(
        id=f"slack:{channel}:{ts}",
        author=Person("slack", str(event["user"])),
        place=SlackThread(channel=channel, thread_ts=str(event.get("thread_ts") or ts)),
        text=LEADING_MENTION.sub("", str(event.get("text") or ""), count=1).strip(),
        via="mention",
        source_id=ts,
    )


class SlackEvents:
    def __init__(
        self,
        token: Secret | None,
        signing_secret: Secret | None,
        api_url: str,
        intake: Intake,
        metrics: Metrics,
        commands: CommandTable,
        following: Following,
    ) -> None:
        self._door = Door(SOURCE, intake, metrics)
        self._following = following
        self._commands = commands
        self._signature = SlackSignature(signing_secret.reveal()) if signing_secret else None
        self.bolt: AsyncApp | None = None
        self._modal: DeployModal | None = None
        if token is not None and signing_secret is not None:
            self.bolt = AsyncApp(
                client=AsyncWebClient(token=token.reveal(), base_url=api_url),
                signing_secret=signing_secret.reveal(),
                request_verification_enabled=False,  # verified above, before Bolt
                process_before_response=True,  # queue before answering: a 2xx means durable
                # Middleware for features opsbot doesn't use costs every request.
                attaching_function_token_enabled=False,
                attaching_conversation_kwargs_enabled=False,
                ignoring_self_assistant_message_events_enabled=False,
            )
            self._modal = DeployModal(SlackModals(self.bolt.client), self._door)
            self._register(self.bolt, self._modal)

    async def handle(self, request: Request) -> Response:
        bolt, signature = self.bolt, self._signature
        headers = request.headers.raw

        def signed(raw: bytes) -> bool:
            return signature is not None and signature.verifies(headers, raw)

        body = await self._door.verified_body(request, signed if bolt is not None else None)
        if isinstance(body, Response):
            return body
        assert bolt is not None  # verified_body refuses with 404 otherwise
        try:
            parsed = bolt_request(request, body)
        except MalformedPayload as exc:
            return self._door.reject(400, "malformed", f"malformed Slack payload: {exc}")
        self._door.received()
        return to_starlette_response(await bolt.async_dispatch(parsed))

    def _register(self, app: AsyncApp, modal: DeployModal) -> None:
        app.command(SLASH_COMMAND)(self._on_slash_command)
        app.action(SERVICE_ACTION)(modal.service_chosen)
        app.view(DEPLOY_FORM)(modal.submitted)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.action(APPROVE_ACTION)(self._on_approve_click)
        app.action(KEEP_ACTION)(self._on_keep_click)
        app.event("app_home_opened")(self._on_home_opened)
        for home_action in ACTION_IDS:
            app.action(home_action)(self._on_home_click)
        for alert_action in ACTIONS:
            app.action(alert_action)(self._on_alert_click)
        # Everything else is acknowledged and ignored, as the contract asks;
        # without these Bolt would answer 404 to events we subscribe to but
        # don't act on (plain channel messages, reactions…).
        app.event(ANYTHING)(self._on_other)
        app.action(ANYTHING)(self._on_other)
        app.view(ANYTHING)(self._on_other)
        app.shortcut(ANYTHING)(self._on_other)
        app.options(ANYTHING)(self._on_other)
        app.command(ANYTHING)(self._on_other)

    async def _on_slash_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        text = str(command.get("text") or "")
        message = ChatMessage(
            id=f"slack:command:{command.get('trigger_id') or command.get('command_ts') or ''}",
            author=Person("slack", str(command["user_id"])),
            place=SlackThread(channel=str(command["channel_id"]), response_url=command.get("response_url") or None),
            text=text,
            via="slash",
        )
        if self._modal is not None and asks_for_form(text):
            await self._modal.open(ack, command)
            return
        if self._commands.is_help(text):
            # Answered in the acknowledgement: no queue, well within 3 s.
            await ack(response_type="ephemeral", text=to_mrkdwn(self._commands.help(message)))
            return
        job = Job.of(message, trace={"trigger_id": str(command.get("trigger_id") or "")})
        accepted = await self._door.admit(message.id, job)
        if accepted is None:
            await ack(
                response_type="ephemeral",
                text="opsbot can't reach its store right now, so nothing was done. Please try again shortly.",
            )
            return
        if accepted is Accepted.QUEUED:
            # A plain-text ack is shown to the asker only, like an ephemeral message.
            await ack(text=f"On it: {code_span(f'{SLASH_COMMAND} {text}')}")
        else:
            await ack()

    async def _on_mention(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") == "bot_message" or not event.get("user"):
            self._door.ignore("written by a bot")
            await ack()
            return
        message = mention_from(event)
        event_id = str(body.get("event_id") or message.id)
        job = Job.of(message, trace={"event_id": event_id})
        if await self._door.admit(f"slack:{event_id}", job) is None:
            # Not acknowledged: Slack redelivers the event a few times.
            raise StoreUnavailableForSlack(event_id)
        await ack()

    async def _on_message(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A plain reply in a thread the Ops agent is part of goes to it, like a mention."""
        thread_ts, ts = str(event.get("thread_ts") or ""), str(event.get("ts") or "")
        bot_user = next((str(a.get("user_id")) for a in body.get("authorizations") or [] if a.get("is_bot")), None)
        text = str(event.get("text") or "")
        if (
            event.get("subtype")  # edits, joins, bot messages…
            or event.get("bot_id")
            or not event.get("user")
            or not thread_ts
            or thread_ts == ts
            or (bot_user is not None and f"<@{bot_user}>" in text)  # app_mention brings that one
        ):
            await self._on_other(ack)
            return
        channel = str(event.get("channel") or "")
        started_by_bot = bot_user is not None and event.get("parent_user_id") == bot_user
        try:
            ours = started_by_bot or await self._following.follows(channel, thread_ts)
        except StoreUnavailable as exc:
            raise StoreUnavailableForSlack(str(body.get("event_id"))) from exc
        if not ours:
            await self._on_other(ack)
            return
        await self._on_mention(ack, body, event)

    async def _on_approve_click(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A click on Approve is the clicker typing `approve <id>` in the request's thread."""
        await self._typed_by_click(ack, body, action, "approve", APPROVE_ACTION)

    async def _on_keep_click(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A click on Keep is the clicker typing `keep <offer id>` in the lesson's thread."""
        await self._typed_by_click(ack, body, action, "keep", KEEP_ACTION)

    async def _on_alert_click(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A click on an alert message's button: acknowledged at once, carried out by a worker."""
        await ack()
        clicked = body.get("message") or {}
        name = str(action.get("action_id") or "")
        click_id = str(body.get("trigger_id") or action.get("action_ts") or "")
        chosen = next((a for a in ACTIONS if a == name), None)
        if chosen is None or not click_id:
            return
        alert_action = AlertAction(
            action=chosen,
            group_id=str(action.get("value") or ""),
            clicker=str(body["user"]["id"]),
            channel=str((body.get("channel") or {}).get("id") or ""),
            message_ts=str(clicked.get("ts") or (body.get("container") or {}).get("message_ts") or ""),
            click_id=click_id,
        )
        await self._door.admit(f"slack:alert-action:{click_id}", Job.of(alert_action, trace={"action": name}))

    async def _on_home_opened(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        """The viewer opened opsbot's Home tab: a worker puts their Home together and publishes it."""
        if event.get("tab") != "home" or not event.get("user"):  # the Messages tab, or nobody's
            await self._on_other(ack)
            return
        user = str(event["user"])
        event_id = str(body.get("event_id") or f"home-opened:{user}:{event.get('event_ts') or ''}")
        job = Job.of(HomeRefresh(user, opened=True), trace={"event_id": event_id})
        if await self._door.admit(f"slack:{event_id}", job) is None:
            raise StoreUnavailableForSlack(event_id)  # not acknowledged: Slack sends it again
        await ack()

    async def _on_home_click(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A button on someone's Home: the clicker's own command, carried out by a worker."""
        await ack()
        click_id = str(body.get("trigger_id") or action.get("action_ts") or "")
        chosen = ACTION_IDS.get(str(action.get("action_id") or ""))
        if chosen is None or not click_id:
            return
        click = HomeAction(str(body["user"]["id"]), chosen, str(action.get("value") or ""), click_id)
        await self._door.admit(f"slack:home-action:{click_id}", Job.of(click, trace={"action": chosen}))

    async def _typed_by_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], command: str, action_id: str
    ) -> None:
        await ack()
        clicked = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or "")
        message = ChatMessage(
            id=f"slack:action:{body.get('trigger_id') or action.get('action_ts') or ''}",
            author=Person("slack", str(body["user"]["id"])),
            place=SlackThread(
                channel=channel, thread_ts=str(clicked.get("thread_ts") or clicked.get("ts") or "") or None
            ),
            text=f"{command} {action.get('value') or ''}".strip(),
            via="slash",
        )
        await self._door.admit(message.id, Job.of(message, trace={"action": action_id}))

    async def _on_other(self, ack: AsyncAck) -> None:
        self._door.ignore("not handled")
        await ack()
