"""The shape of each Slack request opsbot acts on, checked once at the edge.

Listeners read ``command["user_id"]``, ``event["channel"]``, ``body["user"]["id"]``
and so on; a signed request missing one of them, or carrying an object where
a string belongs, must be a 400 with one line, not a listener's KeyError
that Bolt answers with 500 (Slack retries 5xx and disables apps that keep
failing). Only what the listeners read is declared; anything else passes.
"""

from __future__ import annotations

from typing import Any

import msgspec

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
