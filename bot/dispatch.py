"""Route each job kind to the core service that carries it out."""

from __future__ import annotations

from bot.chatops import ChatOps
from bot.commands.deploying import DeployCommands
from bot.jobs import CHAT_MESSAGE, DEPLOY_STATUS, Delivery
from bot.model import ChatMessage


class UnknownJob(Exception):
    """A job kind this version of opsbot does not know (e.g. from a newer one)."""


class Dispatcher:
    def __init__(self, chatops: ChatOps, deploying: DeployCommands) -> None:
        self._chatops = chatops
        self._deploying = deploying

    async def run(self, delivery: Delivery) -> None:
        job = delivery.job
        if job.kind == CHAT_MESSAGE:
            await self._chatops.handle(
                ChatMessage.from_json(job.payload), redelivered=delivery.redelivered, asked_at=job.enqueued_at
            )
            return
        if job.kind == DEPLOY_STATUS:
            payload = job.payload
            key = payload.get("key") or await self._deploying.key_for_commit(**payload["commit"])
            if key is not None:
                await self._deploying.status_changed(key, payload["status"], payload.get("url"))
            return
        raise UnknownJob(job.kind)

    async def report(self, delivery: Delivery, text: str) -> None:
        """Tell the person who asked that their request failed."""
        job = delivery.job
        if job.kind == CHAT_MESSAGE:
            await self._chatops.report_failure(ChatMessage.from_json(job.payload), text, asked_at=job.enqueued_at)
