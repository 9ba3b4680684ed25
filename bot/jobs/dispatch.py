"""Route each job kind to the core service that carries it out."""

from __future__ import annotations

import logging
from typing import Any

from bot.conversation.chatops import ChatOps
from bot.deploys.commands import DeployCommands
from bot.incidents.lifecycle import Incidents
from bot.jobs.kinds import CHAT_MESSAGE, DEPLOY_STATUS, INCIDENT_REMINDER, TODO_CHANGE, Delivery
from bot.model import ChatMessage, Person, place_from_json
from bot.todos.board import TodoBoard

log = logging.getLogger(__name__)


class UnknownJob(Exception):
    """A job kind this version of opsbot does not know (e.g. from a newer one)."""


class Dispatcher:
    def __init__(self, chatops: ChatOps, deploying: DeployCommands, todos: TodoBoard, incidents: Incidents) -> None:
        self._chatops = chatops
        self._deploying = deploying
        self._todos = todos
        self._incidents = incidents

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
        if job.kind == INCIDENT_REMINDER:
            await self._incidents.remind(str(job.payload["incident"]), float(job.payload["due"]))
            return
        if job.kind == TODO_CHANGE:
            await self._todo_change(job.payload)
            return
        raise UnknownJob(job.kind)

    async def _todo_change(self, payload: dict[str, Any]) -> None:
        person = Person(**payload["person"])
        if payload["what"] == "checklist":
            outcome = await self._todos.checklist_edited(
                place_from_json(payload["place"]), person, payload["body"], payload.get("previous"), payload["at"]
            )
        else:
            outcome = await self._todos.issue_state_changed(
                payload["forge"],
                payload["repo"],
                int(payload["number"]),
                payload["description"],
                person,
                bool(payload["closed"]),
                payload["at"],
            )
        log.info("todo change", extra={"outcome": outcome, "person": person.handle, "what": payload["what"]})

    async def report(self, delivery: Delivery, text: str) -> None:
        """Tell the person who asked that their request failed."""
        job = delivery.job
        if job.kind == CHAT_MESSAGE:
            await self._chatops.report_failure(ChatMessage.from_json(job.payload), text, asked_at=job.enqueued_at)
