"""Slack channels for incidents, as :class:`bot.incidents.ports.Rooms`."""

from __future__ import annotations

from typing import Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack import slack_call
from bot.clients.slack_markup import channel_name
from bot.errors import UpstreamRejected
from bot.model import Person


class SlackRooms:
    platform: Literal["slack"] = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def open_room(self, name: str) -> str | None:
        try:
            async with slack_call():
                created = await self._client.conversations_create(name=channel_name(name))
        except UpstreamRejected as refused:
            if refused.code == "name_taken":
                return None
            raise
        return str(created["channel"]["id"])

    async def invite(self, room: str, person: Person) -> None:
        if person.platform != "slack":
            return
        try:
            async with slack_call():
                await self._client.conversations_invite(channel=room, users=person.id)
        except UpstreamRejected as refused:
            if refused.code != "already_in_channel":  # a re-run job invites again
                raise

    async def pin(self, room: str, message_id: str) -> None:
        try:
            async with slack_call():
                await self._client.pins_add(channel=room, timestamp=message_id)
        except UpstreamRejected as refused:
            if refused.code != "already_pinned":
                raise
