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

from bot.inbound import ForgeComment, Ignored, addressed_to_bot
from bot.intake import Intake
from bot.jobs import CHAT_MESSAGE, Job
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
            comment = comment_from(payload)
        except (orjson.JSONDecodeError, MalformedPayload) as exc:
            return self._door.reject(400, "malformed", f"malformed {event or 'GitLab'} payload: {exc}")
        self._door.received()
        decision = (
            addressed_to_bot(comment, self._bot_name) if comment else Ignored(f"{event or 'event'} is not handled")
        )
        if isinstance(decision, Ignored):
            return self._door.ignore(decision.reason)
        trace = {
            "event": event,
            "delivery": request.headers.get("idempotency-key") or request.headers.get("x-gitlab-event-uuid") or "",
        }
        job = Job(CHAT_MESSAGE, decision.to_json(), trace=trace)
        return await self._door.admit_webhook(decision.id, job)
