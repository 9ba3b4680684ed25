"""The Home tab over slack_sdk: publishing a person's Home (views.publish) and the channels they are in
(users.conversations), as :class:`bot.home.ports.HomeTabs` and :class:`bot.home.ports.Memberships`."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack import slack_call
from bot.clients.slack_home_view import home_view
from bot.home.model import Home

CHANNEL_TYPES = "public_channel,private_channel"  # where opsbot keeps todo lists (channels:read, groups:read)
PAGE = 200  # Slack's most per page for users.conversations
PAGES = 5  # a thousand channels is more than anyone reads their Home for


class SlackHomeTab:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def publish(self, home: Home) -> None:
        async with slack_call():
            await self._client.views_publish(user_id=home.viewer, view=home_view(home))

    async def channels_of(self, user: str) -> list[str]:
        channels: list[str] = []
        cursor: str | None = None
        for _ in range(PAGES):
            async with slack_call():
                page = await self._client.users_conversations(
                    user=user, types=CHANNEL_TYPES, exclude_archived=True, limit=PAGE, cursor=cursor
                )
            channels += [str(c["id"]) for c in page.get("channels") or [] if c.get("id")]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return channels
