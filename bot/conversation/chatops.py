"""Handle one message addressed to the bot: a command, or a question for the agent."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.commands.table import CommandTable, command_prefix
from bot.commands.types import FreeText, Malformed, Parsed
from bot.conversation.assistant import Assistant
from bot.conversation.replies import Replies
from bot.errors import CommandError, OpsbotError, UpstreamError
from bot.model import Answer, ChatMessage, Place, Platform
from bot.ports import Chat

log = logging.getLogger(__name__)


class NoChat(OpsbotError):
    """A message arrived from a platform opsbot has no credentials for."""


class ChatOps:
    def __init__(
        self,
        chats: Mapping[Platform, Chat],
        replies: Replies,
        commands: CommandTable,
        assistant: Assistant,
        bot_name: str,
    ) -> None:
        self._chats = chats
        self._replies = replies
        self._commands = commands
        self._assistant = assistant
        self._bot_name = bot_name

    def chat_for(self, place: Place) -> Chat:
        chat = self._chats.get(place.platform)
        if chat is None:
            raise NoChat(f"no credentials configured to answer on {place.platform}")
        return chat

    async def respond(self, message: ChatMessage) -> Answer | str:
        """The answer to ``message``, without posting it."""
        return await self._respond(self._commands.parse(message.text), message)

    async def _respond(self, parsed: Parsed, message: ChatMessage) -> Answer | str:
        if isinstance(parsed, Malformed):
            prefix = command_prefix(message, self._bot_name)
            return f"{parsed.problem}. Usage: `{prefix}{parsed.usage}`"
        if isinstance(parsed, FreeText):
            return await self._assistant.answer(message)
        try:
            return await self._commands.run(parsed, message)
        except CommandError as refusal:
            return str(refusal)

    async def handle(self, message: ChatMessage, *, redelivered: bool, asked_at: float) -> None:
        chat = self.chat_for(message.place)
        try:
            await chat.acknowledge(message)
        except UpstreamError as exc:
            # The 👀 is a courtesy: the answer matters more than the reaction.
            log.warning("could not acknowledge the message", extra={"message_id": message.id, "error": str(exc)})
        parsed = self._commands.parse(message.text)
        text = await self._respond(parsed, message)
        # The agent shows its work in a message posted under the answer's key: the answer
        # replaces it rather than being a second message.
        in_place = isinstance(parsed, FreeText)
        await self._replies.answer(chat, message, text, redelivered=redelivered, asked_at=asked_at, in_place=in_place)

    async def report_failure(self, message: ChatMessage, text: str, *, asked_at: float) -> None:
        chat = self.chat_for(message.place)
        if isinstance(self._commands.parse(message.text), FreeText):
            # An agent task that failed would leave its progress message saying "Working on it…"
            # for good: the failure takes its place, as the answer would have.
            progress = await self._replies.sent(f"{message.id}:answer")
            if progress:
                await chat.update(message.place, progress, text, reply_key=f"{message.id}:answer")
                return
        await self._replies.answer(chat, message, text, redelivered=True, asked_at=asked_at, part="failure")
