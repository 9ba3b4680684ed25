"""``POST /gitlab/webhook``: GitLab project and group webhooks.

GitLab sends the configured secret as ``X-Gitlab-Token`` (no HMAC), so it is
compared in constant time. Notes are deduplicated on the note id, which a
retry or a manual resend keeps; other events on ``Idempotency-Key``.
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from bot.inbound import (
    ForgeComment,
    Ignored,
    addressed_to_bot,
    checklist_edit,
    checklist_job,
    event_time,
    todo_issue_change,
    todo_issue_job,
)
from bot.intake import Intake
from bot.jobs import CHAT_MESSAGE, DEPLOY_STATUS, Job
from bot.model import GitLabThread, Person
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from handlers.web import Door

SOURCE = "gitlab"
NOTEABLE_KINDS = {"MergeRequest": "merge_request", "Issue": "issue"}


class MalformedPayload(Exception):
    pass


def comment_from(payload: dict[str, Any]) -> ForgeComment | None:
    """The note in a Note Hook on a merge request or an issue; None for other notes."""
    if payload.get("object_kind") != "note":
        return None
    try:
        note = payload["object_attributes"]
        kind = NOTEABLE_KINDS.get(str(note.get("noteable_type")))
        if kind is None:
            return None  # commit and snippet notes have no thread to answer in
        target = payload["merge_request" if kind == "merge_request" else "issue"]
        project = payload["project"]
        user = payload["user"]
        # Newer GitLab says whether a note was created or updated; older
        # deliveries (no "action") only ever fire on creation.
        action = note.get("action")
        return ForgeComment(
            message_id=f"gitlab:note:{note['id']}",
            source_id=str(note["id"]),
            author=Person("gitlab", str(user["username"])),
            author_is_bot=False,
            body=str(note.get("note") or ""),
            newly_created=action in (None, "create"),
            place=GitLabThread(
                project=str(project.get("path_with_namespace") or project["id"]),
                iid=int(target["iid"]),
                kind=kind,  # type: ignore[arg-type]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"note payload lacks {exc}") from exc


# GitLab's pipeline statuses, as the deploy status people see.
PIPELINE_STATUS = {
    "created": "queued", "waiting_for_resource": "queued", "preparing": "queued", "pending": "queued",
    "scheduled": "queued", "running": "in_progress", "success": "success", "failed": "failure",
    "canceled": "cancelled", "skipped": "cancelled",
}  # fmt: skip


def pipeline_job(payload: dict[str, Any]) -> tuple[str, Job] | Ignored:
    """A status of a pipeline opsbot started (its variables say so); others are ignored."""
    try:
        pipeline = payload["object_attributes"]
        variables = {v.get("key") for v in pipeline.get("variables") or [] if isinstance(v, dict)}
        if "OPSBOT_SERVICE" not in variables:
            return Ignored("pipeline not started by opsbot")
        project = str(payload["project"]["path_with_namespace"])
        status = PIPELINE_STATUS.get(str(pipeline["status"]), str(pipeline["status"]))
        key = f"gitlab:{project}:{pipeline['id']}"
        # Each status of a pipeline is its own event; a redelivery of one is not.
        return f"{key}:{status}", Job(DEPLOY_STATUS, {"key": key, "status": status, "url": pipeline.get("url")})
    except (KeyError, TypeError) as exc:
        raise MalformedPayload(f"pipeline payload lacks {exc}") from exc


def deployment_job(payload: dict[str, Any]) -> tuple[str, Job]:
    """A GitLab deployment's status; the worker finds whether it is one of opsbot's."""
    try:
        status = PIPELINE_STATUS.get(str(payload["status"]), str(payload["status"]))
        commit = {
            "forge": "gitlab",
            "repo": str(payload["project"]["path_with_namespace"]),
            "environment": str(payload["environment"]),
            "sha_prefix": str(payload["short_sha"]),
        }
        url = payload.get("environment_external_url") or payload.get("deployable_url")
        event_key = f"gitlab:deployment:{commit['repo']}:{payload['deployment_id']}:{status}"
        return event_key, Job(DEPLOY_STATUS, {"commit": commit, "status": status, "url": url})
    except (KeyError, TypeError) as exc:
        raise MalformedPayload(f"deployment payload lacks {exc}") from exc


def todo_change_job(payload: dict[str, Any], bot_name: str) -> tuple[str, Job] | None:
    """A person ticking a box in opsbot's tracking note (GitLab 16.11+ sends note edits),
    or closing/reopening a todo's issue."""
    kind, attributes = payload.get("object_kind"), payload.get("object_attributes") or {}
    action = attributes.get("action") if isinstance(attributes, dict) else None
    if (kind, action) not in (("note", "update"), ("issue", "close"), ("issue", "reopen")):
        return None
    try:
        user, project = payload["user"], str(payload["project"]["path_with_namespace"])
        person = Person("gitlab", str(user["username"]))
        by_bot = bool(user.get("bot"))
        at = event_time(attributes["updated_at"])
        if kind == "note":
            comment = comment_from(payload)
            # The edited note is opsbot's own when it carries opsbot's reply marker; the
            # hook names only who edited it.
            if comment is None or not checklist_edit(comment.body, None, person, by_bot, bot_name, True):
                return None
            job = checklist_job(comment.place, comment.body, None, person, at)
            return f"gitlab:note-edit:{attributes['id']}:{at}", job
        description = str(attributes.get("description") or "")
        if not todo_issue_change(description, person, by_bot, bot_name):
            return None
        iid = int(attributes["iid"])
        job = todo_issue_job("gitlab", project, iid, description, action == "close", person, at)
        return f"gitlab:issue:{project}:{iid}:{action}:{at}", job
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"{kind} payload lacks {exc}") from exc


class GitLabWebhook:
    def __init__(self, secret: Secret | None, bot_name: str, intake: Intake, metrics: Metrics) -> None:
        self._secret = secret.reveal().encode() if secret else None
        self._bot_name = bot_name
        self._door = Door(SOURCE, intake, metrics)

    async def handle(self, request: Request) -> Response:
        secret = self._secret
        token = request.headers.get("x-gitlab-token", "").encode()
        body = await self._door.verified_body(
            request, None if secret is None else lambda _: hmac.compare_digest(token, secret)
        )
        if isinstance(body, Response):
            return body
        event = request.headers.get("x-gitlab-event", "")
        try:
            payload = orjson.loads(body)
            if not isinstance(payload, dict):
                raise MalformedPayload("the body is not a JSON object")
            found = self._job(payload, event)
        except (orjson.JSONDecodeError, MalformedPayload) as exc:
            return self._door.reject(400, "malformed", f"malformed {event or 'GitLab'} payload: {exc}")
        self._door.received()
        if isinstance(found, Ignored):
            return self._door.ignore(found.reason)
        event_key, job = found
        job.trace.update(
            event=event,
            delivery=request.headers.get("idempotency-key") or request.headers.get("x-gitlab-event-uuid") or "",
        )
        return await self._door.admit_webhook(event_key, job)

    def _job(self, payload: dict[str, Any], event: str) -> tuple[str, Job] | Ignored:
        """The job for this event and the key that makes its redeliveries harmless."""
        if payload.get("object_kind") == "pipeline":
            return pipeline_job(payload)
        if payload.get("object_kind") == "deployment":
            return deployment_job(payload)
        if (change := todo_change_job(payload, self._bot_name)) is not None:
            return change
        comment = comment_from(payload)
        if comment is None:
            return Ignored(f"{event or 'event'} is not handled")
        decision = addressed_to_bot(comment, self._bot_name)
        if isinstance(decision, Ignored):
            return decision
        return decision.id, Job(CHAT_MESSAGE, decision.to_json())
