"""``POST /github/webhook``: GitHub webhooks, from a repository hook or an App.

The signature (``X-Hub-Signature-256``, HMAC-SHA256 of the raw body) is
checked in constant time before the body is even parsed. Deliveries are
deduplicated on ``X-GitHub-Delivery``, which GitHub keeps when a delivery is
redelivered. Handled events are parsed into typed values by
:mod:`handlers.github_events`; a signed body that doesn't fit is 400.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response

from bot.conversation.addressed import (
    ForgeComment,
    Ignored,
    addressed_to_bot,
    checklist_edit,
    event_time,
    is_bot_name,
    todo_issue_change,
)
from bot.deploys.records import PAYLOAD_KEY
from bot.deploys.status_report import DeployStatusReport
from bot.jobs.intake import Intake
from bot.jobs.kinds import Job
from bot.model import GitHubThread, Person
from bot.redelivery.model import github_event_key
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from bot.todos.changes import ChecklistEdited, TodoIssueChanged
from handlers.github_events import (
    BOT_USER_TYPE,
    DeploymentStatusEvent,
    GitHubEvent,
    IssueCommentEvent,
    IssuesEvent,
    PingEvent,
    ReviewCommentEvent,
    is_pull_request,
    parse_event,
    required,
)
from handlers.http_payloads import MalformedPayload
from handlers.web import Door, answer, same_secret, single_header

log = logging.getLogger(__name__)

SOURCE = "github"
SIGNATURE_HEADER = "x-hub-signature-256"
EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
SIGNATURE_PREFIX = "sha256="


def signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return same_secret(expected.encode(), header)


def comment_from(event: IssueCommentEvent | ReviewCommentEvent) -> ForgeComment:
    """The comment in an ``issue_comment`` or ``pull_request_review_comment`` event."""
    if isinstance(event, IssueCommentEvent):
        place = GitHubThread(event.repository.full_name, event.issue.number, is_pull_request(event.issue))
        source = f"issue_comment:{event.comment.id}"
    else:
        place = GitHubThread(event.repository.full_name, event.pull_request.number, True)
        source = f"review_comment:{event.comment.id}"
    user = event.comment.user
    return ForgeComment(
        message_id=f"github:{source}",
        source_id=source,
        author=Person("github", user.login),
        author_is_bot=user.type == BOT_USER_TYPE,
        body=event.comment.body or "",
        newly_created=event.action == "created",
        place=place,
    )


def deployment_status_job(event: DeploymentStatusEvent) -> Job | Ignored:
    """A status of a deployment opsbot created (its payload says so); others are ignored."""
    deployment, status = event.deployment, event.deployment_status
    if not isinstance(deployment.payload, dict) or PAYLOAD_KEY not in deployment.payload:
        return Ignored("deployment not created by opsbot")
    key = f"github:{event.repository.full_name}:{deployment.id}"
    url = status.log_url or status.target_url or status.environment_url
    return Job.of(DeployStatusReport(key, status.state, url))


def when(stamp: str | None, name: str) -> float:
    try:
        return event_time(required(stamp, name))
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{name} is not a timestamp") from exc


def checklist_change_job(event: IssueCommentEvent, bot_name: str) -> Job | None:
    """A person ticking a box in opsbot's tracking comment."""
    if event.action != "edited":
        return None
    if event.sender is None:
        raise MalformedPayload("sender is missing")
    person = Person("github", event.sender.login)
    by_bot = event.sender.type == BOT_USER_TYPE
    comment = event.comment
    body = comment.body or ""
    previous = event.changes.body.previous if event.changes and event.changes.body else None
    written_by_bot = comment.user.type == BOT_USER_TYPE or is_bot_name(comment.user.login, bot_name)
    if not checklist_edit(body, previous, person, by_bot, bot_name, written_by_bot):
        return None
    place = GitHubThread(event.repository.full_name, event.issue.number, is_pull_request(event.issue))
    return Job.of(ChecklistEdited(place, body, previous, person, when(comment.updated_at, "comment.updated_at")))


def todo_issue_event_job(event: IssuesEvent, bot_name: str) -> Job | Ignored:
    """A todo's issue closed or reopened (parse_event only returns those actions)."""
    person = Person("github", event.sender.login)
    description = event.issue.body or ""
    if not todo_issue_change(description, person, event.sender.type == BOT_USER_TYPE, bot_name):
        return Ignored("issues is not handled")
    at = when(event.issue.updated_at, "issue.updated_at")
    closed = event.action == "closed"
    change = TodoIssueChanged("github", event.repository.full_name, event.issue.number, description, closed, person, at)
    return Job.of(change)


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
            else lambda raw: signature_matches(secret, raw, single_header(request, SIGNATURE_HEADER)),
        )
        if isinstance(body, Response):
            return body
        event = single_header(request, EVENT_HEADER)
        delivery = single_header(request, DELIVERY_HEADER)
        if not event or not delivery:
            return self._door.reject(400, "malformed", "one X-GitHub-Event and one X-GitHub-Delivery are required")
        try:
            parsed = parse_event(event, body)
            if isinstance(parsed, PingEvent):
                return answer(200, "pong", zen=parsed.zen)
            job = self._job(event, parsed)
        except MalformedPayload as exc:
            return self._door.reject(400, "malformed", f"malformed {event} payload: {exc}")
        self._door.received()
        if isinstance(job, Ignored):
            return self._door.ignore(job.reason, job.detail)
        job.trace.update(delivery=delivery, event=event)
        response = await self._door.admit_webhook(github_event_key(delivery), job)
        if response.status_code == 503:
            # GitHub won't send it again by itself; the recovery pass asks it to once the store is back.
            log.warning(
                "GitHub delivery refused: the store is unavailable", extra={"delivery": delivery, "event": event}
            )
        return response

    def _job(self, event: str, parsed: GitHubEvent | None) -> Job | Ignored:
        if isinstance(parsed, DeploymentStatusEvent):
            return deployment_status_job(parsed)
        if isinstance(parsed, IssuesEvent):
            return todo_issue_event_job(parsed, self._bot_name)
        if isinstance(parsed, IssueCommentEvent) and (change := checklist_change_job(parsed, self._bot_name)):
            return change
        if not isinstance(parsed, (IssueCommentEvent, ReviewCommentEvent)):
            return Ignored("event not handled", f"{event} is not handled")
        decision = addressed_to_bot(comment_from(parsed), self._bot_name)
        return decision if isinstance(decision, Ignored) else Job.of(decision)
