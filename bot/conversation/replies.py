"""Post each reply once, even when the job that posts it runs twice.

Jobs are delivered at least once: a worker can die after Slack or GitHub
took its message but before the job was marked done. A reply therefore
carries an invisible key; before posting, the job checks a local mark and,
when the job is a redelivery, asks the platform whether a message with that
key is already there (the Prow/Renovate habit: trust the remote state).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.errors import UpstreamRejected
from bot.model import Answer, Button, ChatMessage, Place
from bot.ports import Chat, Marks

log = logging.getLogger(__name__)

SENT_TTL = 7 * 24 * 3600.0
# How far back a platform is searched for a reply that may already exist.
LOOKBACK = 24 * 3600.0


class Replies:
    def __init__(self, marks: Marks) -> None:
        self._marks = marks

    async def send(
        self,
        chat: Chat,
        place: Place,
        text: str,
        *,
        reply_key: str,
        redelivered: bool,
        asked_at: float,
        buttons: Sequence[Button] = (),
    ) -> str:
        """Post unless already posted; the message's id either way."""
        mark = f"sent:{reply_key}"
        if (sent := await self._marks.get(mark)) is not None:
            return sent
        if redelivered and (found := await self.find(chat, place, reply_key, since=asked_at - LOOKBACK)) is not None:
            log.info("reply already posted by an earlier run", extra={"reply_key": reply_key})
            await self._marks.set(mark, SENT_TTL, found)
            return found
        posted = await chat.post(place, text, reply_key=reply_key, buttons=buttons)
        await self._marks.set(mark, SENT_TTL, posted)
        return posted

    async def sent(self, reply_key: str) -> str | None:
        """The id of the message this opsbot posted under ``reply_key``, as its mark says."""
        return await self._marks.get(f"sent:{reply_key}")

    async def replace(
        self,
        chat: Chat,
        place: Place,
        text: str,
        *,
        reply_key: str,
        redelivered: bool,
        asked_at: float,
        buttons: Sequence[Button] = (),
    ) -> str:
        """Edit the message already posted under ``reply_key`` (a task's progress message) into
        ``text``; post it when there is none. The message's id either way."""
        found = await self.sent(reply_key)
        if found is None and redelivered:
            found = await self.find(chat, place, reply_key, since=asked_at - LOOKBACK)
        if found:
            await chat.update(place, found, text, reply_key=reply_key, buttons=buttons)
            return found
        if found == "":  # posted where messages can't be edited (a slash command's response_url)
            return await chat.post(place, text, reply_key=reply_key, buttons=buttons)
        return await self.send(
            chat, place, text, reply_key=reply_key, redelivered=False, asked_at=asked_at, buttons=buttons
        )

    @staticmethod
    async def find(chat: Chat, place: Place, reply_key: str, *, since: float) -> str | None:
        """The id of the message posted under ``reply_key`` since ``since``, if the platform lets us look."""
        try:
            return await chat.find_reply(place, reply_key, since=since)
        except UpstreamRejected as exc:
            # The lookup is a courtesy; an answer posted twice beats no answer.
            log.warning("could not look for an earlier reply", extra={"reply_key": reply_key, "error": str(exc)})
            return None

    async def answer(
        self,
        chat: Chat,
        message: ChatMessage,
        answer: Answer | str,
        *,
        redelivered: bool,
        asked_at: float,
        part: str = "answer",
        in_place: bool = False,
    ) -> str:
        """Answer ``message`` where it was asked; ``in_place``: as an edit of the message
        already posted under the answer's key, if there is one (the task's progress)."""
        if isinstance(answer, str):
            answer = Answer(answer)
        return await (self.replace if in_place else self.send)(
            chat,
            message.place,
            answer.text,
            reply_key=f"{message.id}:{part}",
            redelivered=redelivered,
            asked_at=asked_at,
            buttons=answer.buttons,
        )
