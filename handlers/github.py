"""``POST /github/webhook``: GitHub webhooks, from a repository hook or an App.

The signature (``X-Hub-Signature-256``, HMAC-SHA256 of the raw body) is
checked in constant time before the body is even parsed. Deliveries are
deduplicated on ``X-GitHub-Delivery``, which GitHub keeps when a delivery is
redelivered.
"""

from __future__ import annotations

import hashlib
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
    is_bot_name,
    todo_issue_change,
    todo_issue_job,
)
from bot.intake import Intake
from bot.jobs import CHAT_MESSAGE, DEPLOY_STATUS, Job
from bot.model import GitHubThread, Person
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from handlers.web import Door, answer

SOURCE = "github"


class MalformedPayload(Exception):
    pass


def signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


def comment_from(event: str, payload: dict[str, Any]) -> ForgeComment | None:
    """The comment in an ``issue_comment`` or ``pull_request_review_comment`` event."""
    try:
        if event == "issue_comment":
            comment, issue = payload["comment"], payload["issue"]
            place = GitHubThread(
                repo=payload["repository"]["full_name"],
                number=int(issue["number"]),
                is_pull_request="pull_request" in issue,
            )
            source = f"issue_comment:{comment['id']}"
        elif event == "pull_request_review_comment":
            comment = payload["comment"]
            place = GitHubThread(
                repo=payload["repository"]["full_name"],
                number=int(payload["pull_request"]["number"]),
                is_pull_request=True,
            )
            source = f"review_comment:{comment['id']}"
        else:
            return None
        user = comment["user"]
        return ForgeComment(
            message_id=f"github:{source}",
            source_id=source,
            author=Person("github", str(user["login"])),
            author_is_bot=user.get("type") == "Bot",
            body=str(comment.get("body") or ""),
            newly_created=payload.get("action") == "created",
            place=place,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"{event} payload lacks {exc}") from exc


def deployment_status_job(payload: dict[str, Any]) -> Job | Ignored:
    """A status of a deployment opsbot created (its payload says so); others are ignored."""
    try:
        deployment, status = payload["deployment"], payload["deployment_status"]
        if not isinstance(deployment.get("payload"), dict) or "opsbot" not in deployment["payload"]:
            return Ignored("deployment not created by opsbot")
        key = f"github:{payload['repository']['full_name']}:{deployment['id']}"
        url = status.get("log_url") or status.get("target_url") or status.get("environment_url")
        return Job(DEPLOY_STATUS, {"key": key, "status": str(status["state"]), "url": url})
    except (KeyError, TypeError) as exc:
        raise MalformedPayload(f"deployment_status payload lacks {exc}") from exc


def todo_change_job(event: str, payload: dict[str, Any], bot_name: str) -> Job | None:
    """A person ticking a box in opsbot's tracking comment, or closing/reopening a todo's issue."""
    action = payload.get("action")
    if (event, action) not in (("issue_comment", "edited"), ("issues", "closed"), ("issues", "reopened")):
        return None
    try:
        sender = payload["sender"]
        person = Person("github", str(sender["login"]))
        by_bot = sender.get("type") == "Bot"
        repo = str(payload["repository"]["full_name"])
        issue = payload["issue"]
        if event == "issue_comment":
            comment = payload["comment"]
            body = str(comment.get("body") or "")
            previous = ((payload.get("changes") or {}).get("body") or {}).get("from")
            author = comment["user"]
            written_by_bot = author.get("type") == "Bot" or is_bot_name(str(author["login"]), bot_name)
            if not checklist_edit(body, previous, person, by_bot, bot_name, written_by_bot):
                return None
            place = GitHubThread(repo=repo, number=int(issue["number"]), is_pull_request="pull_request" in issue)
            previous = previous if isinstance(previous, str) else None
            return checklist_job(place, body, previous, person, event_time(comment["updated_at"]))
        description = str(issue.get("body") or "")
        if not todo_issue_change(description, person, by_bot, bot_name):
            return None
        closed, at = action == "closed", event_time(issue["updated_at"])
        return todo_issue_job("github", repo, int(issue["number"]), description, closed, person, at)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(f"{event} payload lacks {exc}") from exc


class GitHubWebhook:
    def __init__(self, secret: Secret | None, bot_name: str, intake: Intake, metrics: Metrics) -> None:
        self._secret = secret.reveal().encode() if secret else None
        self._bot_name = bot_name
        self._door = Door(SOURCE, intake, metrics)

    async def handle(self, request: Request) -> Response:
        secret = self._secret
        body = await self._door.verified_body(
            request,
            None
            if secret is None
            else lambda raw: signature_matches(secret, raw, request.headers.get("x-hub-signature-256")),
        )
        if isinstance(body, Response):
            return body
        event = request.headers.get("x-github-event")
        delivery = request.headers.get("x-github-delivery")
        if not event or not delivery:
            return self._door.reject(400, "malformed", "X-GitHub-Event and X-GitHub-Delivery are required")
        try:
            payload = orjson.loads(body)
            if not isinstance(payload, dict):
                raise MalformedPayload("the body is not a JSON object")
            if event == "ping":
                return answer(200, "pong", zen=payload.get("zen"))
            job = self._job(event, payload)
        except (orjson.JSONDecodeError, MalformedPayload) as exc:
            return self._door.reject(400, "malformed", f"malformed {event} payload: {exc}")
        self._door.received()
        if isinstance(job, Ignored):
            return self._door.ignore(job.reason)
        job.trace.update(delivery=delivery, event=event)
        return await self._door.admit_webhook(f"github:{delivery}", job)

    def _job(self, event: str, payload: dict[str, Any]) -> Job | Ignored:
        if event == "deployment_status":
            return deployment_status_job(payload)
        if event in ("issue_comment", "issues") and (change := todo_change_job(event, payload, self._bot_name)):
            return change
        comment = comment_from(event, payload)
        if comment is None:
            return Ignored(f"{event} is not handled")
        decision = addressed_to_bot(comment, self._bot_name)
        return decision if isinstance(decision, Ignored) else Job(CHAT_MESSAGE, decision.to_json())
