"""Slack as a :class:`bot.ports.Chat`, over slack_sdk's AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.clients.slack_markup import blocks, message_text
from bot.clients.slack_markup import code_span as code_span  # the Slack edge quotes commands with it
from bot.clients.slack_markup import to_mrkdwn as to_mrkdwn  # the Slack edge renders its help with it
from bot.conversation.markers import reply_key_of, reply_metadata
from bot.conversation.readers import MAX_POSTS, Conversation, Post
from bot.errors import UpstreamError, UpstreamRejected, UpstreamUnavailable
from bot.model import Button, ChatMessage, Place, SlackThread
from bot.text import strip_tokens

SERVICE = "Slack"
NOT_A_MEMBER = {"not_in_channel", "channel_not_found"}
SEARCH_PAGES = 5  # pages of history searched for an earlier reply

# Errors Slack documents as worth retrying; everything else is permanent.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
PLAIN = {
    "not_in_channel": "opsbot is not a member of that channel; invite it with /invite",
    "channel_not_found": "that channel does not exist or opsbot can't see it",
    "invalid_auth": "the Slack token is invalid (check SLACK_BOT_TOKEN)",
    "not_authed": "no Slack token was sent (check SLACK_BOT_TOKEN)",
    "missing_scope": "the Slack app lacks a scope it needs (reinstall it from deploy/slack-app-manifest.yaml)",
    "is_archived": "that channel is archived",
}


@asynccontextmanager
async def slack_call() -> AsyncIterator[None]:
    try:
        yield
    except SlackApiError as exc:
        status = exc.response.status_code
        error = str(exc.response.get("error") or "")
        if status == 429 or status >= 500 or error in TRANSIENT_ERRORS:
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            raise UpstreamUnavailable(
                SERVICE,
                error or f"HTTP {status}",
                status=status,
                retry_after=float(retry_after) if retry_after else None,
            ) from exc
        raise UpstreamRejected(SERVICE, PLAIN.get(error, error or f"HTTP {status}"), status=status, code=error) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UpstreamUnavailable(SERVICE, f"no answer ({exc.__class__.__name__})") from exc


def _from_a_bot(message: dict[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def _thread(place: Place) -> SlackThread:
    if not isinstance(place, SlackThread):
        raise TypeError(f"SlackChat can't post to {place.platform}")
    return place


def trusted_response_url(url: str | None, api_url: str) -> str | None:
    """``url`` if it is a Slack response URL (or on the configured API host), else None.

    The payload that carried it was signed, but a reply address is still
    checked against a short list before opsbot sends anything to it.
    """
    if not url:
        return None
    parts = urlsplit(url)
    api_host = urlsplit(api_url).hostname
    if parts.scheme == "https" and parts.hostname == "hooks.slack.com":
        return url
    if parts.hostname is not None and parts.hostname == api_host and parts.scheme in ("https", "http"):
        return url
    return None


class SlackChat:
    def __init__(self, client: AsyncWebClient, api_url: str) -> None:
        self._client = client
        self._api_url = api_url

    async def acknowledge(self, message: ChatMessage) -> None:
        # Slack answers arrive within seconds in the same thread; a reaction
        # would need one more scope and would only add noise.
        return None

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        thread = _thread(place)
        try:
            async with slack_call():
                posted = await self._client.chat_postMessage(
                    channel=thread.channel,
                    thread_ts=thread.thread_ts,
                    text=message_text(text),
                    blocks=blocks(text, buttons) if buttons else None,
                    unfurl_links=False,
                    metadata=reply_metadata(reply_key),
                )
        except UpstreamRejected as refused:
            reply_to = trusted_response_url(thread.response_url, self._api_url)
            if refused.code not in NOT_A_MEMBER or reply_to is None:
                raise
            await self._respond(reply_to, text)
            return ""  # a response_url message can't be found or edited later
        return str(posted["ts"])

    async def permalink(self, thread: SlackThread) -> str | None:
        """A link to ``thread`` people can click (chat.getPermalink); None when Slack won't give one,
        since a list of threads is still worth showing without its links."""
        if thread.thread_ts is None:
            return None
        try:
            async with slack_call():
                found = await self._client.chat_getPermalink(channel=thread.channel, message_ts=thread.thread_ts)
        except UpstreamError:
            return None
        url = found.get("permalink")
        return url if isinstance(url, str) else None

    async def conversation(self, place: Place, *, exclude: str | None = None) -> Conversation:
        thread = _thread(place)
        if thread.thread_ts is None:
            return Conversation(kind="Slack channel")
        # Slack lists a thread oldest first only, so the newest are found by
        # reading on; one page covers all but the longest threads. Keyed by ts in
        # case a continuation page repeats the thread's first message.
        newest: dict[str, Post] = {}
        cursor: str | None = None
        for _ in range(SEARCH_PAGES):
            async with slack_call():
                page = await self._client.conversations_replies(
                    channel=thread.channel, ts=thread.thread_ts, cursor=cursor, limit=200
                )
            for m in page.get("messages") or []:
                if m.get("ts") != exclude:
                    newest[str(m.get("ts"))] = Post(
                        str(m.get("user") or m.get("bot_id") or "unknown"),
                        strip_tokens(str(m.get("text") or "")),
                        _from_a_bot(m),
                    )
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return Conversation(kind="Slack thread", posts=tuple(list(newest.values())[-MAX_POSTS:]))

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        thread = _thread(place)
        if not message_id:
            return
        async with slack_call():
            await self._client.chat_update(
                channel=thread.channel,
                ts=message_id,
                text=message_text(text),
                # Slack keeps a message's old blocks (its buttons) unless told otherwise.
                blocks=blocks(text, buttons) if buttons else [],
                metadata=reply_metadata(reply_key),
            )

    async def _respond(self, url: str, text: str) -> None:
        """Answer a slash command through its response_url (no membership needed)."""
        try:
            response = await AsyncWebhookClient(url).send(text=message_text(text), response_type="in_channel")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(SERVICE, f"no answer from the response URL ({exc.__class__.__name__})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise UpstreamUnavailable(
                SERVICE, f"response URL answered {response.status_code}", status=response.status_code
            )
        if response.status_code != 200:
            # Slack refuses a response_url after 30 minutes or five uses.
            raise UpstreamRejected(SERVICE, f"the slash command's reply address was refused ({response.body})")

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        thread = _thread(place)
        async for message in self._history(thread, since):
            if reply_key_of(message.get("metadata")) == reply_key:
                return str(message["ts"])
        return None

    async def _history(self, thread: SlackThread, since: float) -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        for _ in range(SEARCH_PAGES):
            async with slack_call():
                if thread.thread_ts:
                    page = await self._client.conversations_replies(
                        channel=thread.channel, ts=thread.thread_ts, include_all_metadata=True, cursor=cursor, limit=200
                    )
                else:
                    page = await self._client.conversations_history(
                        channel=thread.channel,
                        oldest=f"{since:.6f}",
                        include_all_metadata=True,
                        cursor=cursor,
                        limit=200,
                    )
            for message in page.get("messages") or []:
                yield message
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return
