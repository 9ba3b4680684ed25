"""``POST /gitlab/webhook``: GitLab project and group webhooks.

GitLab sends the configured secret as ``X-Gitlab-Token`` (no HMAC), so it is
compared in constant time. Notes are deduplicated on the note id, which a
retry or a manual resend keeps; other events on ``Idempotency-Key``. Handled
events are parsed into typed values by :mod:`handlers.gitlab_events`; a body
with a good token that doesn't fit is 400.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from bot.conversation.addressed import (
    ForgeComment,
    Ignored,
    addressed_to_bot,
    checklist_edit,
    event_time,
    todo_issue_change,
)
from bot.deploys.records import SERVICE_VARIABLE
from bot.deploys.status_report import DeployedCommit, DeployStatusReport
from bot.jobs.intake import Intake
from bot.jobs.kinds import Job
from bot.model import GitLabThread, Person
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from bot.todos.changes import ChecklistEdited, TodoIssueChanged
from handlers.gitlab_events import (
    NOTE_CREATED,
    NOTE_UPDATED,
    DeploymentHook,
    GitLabEvent,
    IssueHook,
    NoteHook,
    PipelineHook,
    noteable,
    parse_event,
    project_name,
)
from handlers.http_payloads import MalformedPayload
from handlers.web import Door, same_secret, single_header

log = logging.getLogger(__name__)

SOURCE = "gitlab"
TOKEN_HEADER = "x-gitlab-token"  # noqa: S105 - a header name, not a secret
EVENT_HEADER = "x-gitlab-event"
EVENT_UUID_HEADER = "x-gitlab-event-uuid"  # one per event, kept by GitLab's "Resend request"


def comment_from(hook: NoteHook) -> ForgeComment | None:
    """The note in a Note Hook on a merge request or an issue; None for other notes."""
    target = noteable(hook)
    if target is None:
        return None
    kind, iid = target
    note = hook.object_attributes
    return ForgeComment(
        message_id=f"gitlab:note:{note.id}",
        source_id=str(note.id),
        author=Person("gitlab", hook.user.username),
        author_is_bot=False,
        body=note.note or "",
        newly_created=note.action in (None, NOTE_CREATED),
        place=GitLabThread(project=project_name(hook.project), iid=iid, kind=kind),
    )


# GitLab's pipeline statuses, as the deploy status people see.
PIPELINE_STATUS = {
    "created": "queued", "waiting_for_resource": "queued", "preparing": "queued", "pending": "queued",
    "scheduled": "queued", "running": "in_progress", "success": "success", "failed": "failure",
    "canceled": "cancelled", "skipped": "cancelled",
}  # fmt: skip


def pipeline_job(hook: PipelineHook) -> tuple[str, Job] | Ignored:
    """A status of a pipeline opsbot started (its variables say so); others are ignored."""
    pipeline = hook.object_attributes
    if not any(variable.key == SERVICE_VARIABLE for variable in pipeline.variables or []):
        return Ignored("pipeline not started by opsbot")
    status = PIPELINE_STATUS.get(pipeline.status, pipeline.status)
    key = f"gitlab:{hook.project.path_with_namespace}:{pipeline.id}"
    # Each status of a pipeline is its own event; a redelivery of one is not.
    return f"{key}:{status}", Job.of(DeployStatusReport(key, status, pipeline.url))


def deployment_job(hook: DeploymentHook) -> tuple[str, Job]:
    """A GitLab deployment's status; the worker finds whether it is one of opsbot's."""
    status = PIPELINE_STATUS.get(hook.status, hook.status)
    commit = DeployedCommit("gitlab", hook.project.path_with_namespace, hook.environment, hook.short_sha)
    url = hook.environment_external_url or hook.deployable_url
    event_key = f"gitlab:deployment:{commit.repo}:{hook.deployment_id}:{status}"
    return event_key, Job.of(DeployStatusReport(commit, status, url))


def when(stamp: str | None, name: str) -> float:
    if stamp is None:
        raise MalformedPayload(f"{name} is missing")
    try:
        return event_time(stamp)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{name} is not a timestamp") from exc


def note_edit_job(hook: NoteHook, bot_name: str) -> tuple[str, Job] | None:
    """A person ticking a box in opsbot's tracking note (GitLab 16.11+ sends note edits)."""
    person = Person("gitlab", hook.user.username)
    at = when(hook.object_attributes.updated_at, "object_attributes.updated_at")
    comment = comment_from(hook)
    # The edited note is opsbot's own when it carries opsbot's reply marker; the
    # hook names only who edited it.
    if comment is None or not checklist_edit(comment.body, None, person, bool(hook.user.bot), bot_name, True):
        return None
    job = Job.of(ChecklistEdited(comment.place, comment.body, None, person, at))
    return f"gitlab:note-edit:{hook.object_attributes.id}:{at}", job


def todo_issue_event_job(hook: IssueHook, bot_name: str) -> tuple[str, Job] | None:
    """A todo's issue closed or reopened (parse_event only returns those actions)."""
    attributes, project = hook.object_attributes, hook.project.path_with_namespace
    person = Person("gitlab", hook.user.username)
    description = attributes.description or ""
    if not todo_issue_change(description, person, bool(hook.user.bot), bot_name):
        return None
    at = when(attributes.updated_at, "object_attributes.updated_at")
    closed = attributes.action == "close"
    job = Job.of(TodoIssueChanged("gitlab", project, attributes.iid, description, closed, person, at))
    return f"gitlab:issue:{project}:{attributes.iid}:{attributes.action}:{at}", job


def project_of(hook: GitLabEvent | None) -> str:
    """The event's project for the logs: its path, or its id when the note names only that."""
    if hook is None:
        return ""
    if isinstance(hook, NoteHook):
        return hook.project.path_with_namespace or str(hook.project.id or "")
    return hook.project.path_with_namespace


class GitLabWebhook:
    def __init__(self, secret: Secret | None, bot_name: str, intake: Intake, metrics: Metrics) -> None:
        self._secret = secret.reveal().encode() if secret else None
        self._bot_name = bot_name
        self._door = Door(SOURCE, intake, metrics)

    async def handle(self, request: Request) -> Response:
        secret = self._secret
        token = single_header(request, TOKEN_HEADER)
        body = await self._door.verified_body(request, None if secret is None else lambda _: same_secret(secret, token))
        if isinstance(body, Response):
            return body
        event = request.headers.get(EVENT_HEADER, "")
        try:
            hook = parse_event(body)
            found = self._job(hook, event)
        except MalformedPayload as exc:
            return self._door.reject(400, "malformed", f"malformed {event or 'GitLab'} payload: {exc}")
        self._door.received()
        if isinstance(found, Ignored):
            return self._door.ignore(found.reason, found.detail)
        event_key, job = found
        event_uuid = single_header(request, EVENT_UUID_HEADER) or ""
        job.trace.update(event=event, delivery=request.headers.get("idempotency-key") or event_uuid)
        response = await self._door.admit_webhook(event_key, job)
        if response.status_code == 503:
            # GitLab's API can't redeliver and GitLab doesn't retry a 5xx: this line is what an
            # operator finds the event by, in the hook's Recent events, to press Resend request.
            log.warning(
                "GitLab delivery refused: the store is unavailable; resend it from the webhook's Recent events",
                extra={"event_uuid": event_uuid, "event": event, "project": project_of(hook)},
            )
        return response

    def _job(self, hook: GitLabEvent | None, event: str) -> tuple[str, Job] | Ignored:
        """The job for this event and the key that makes its redeliveries harmless."""
        if isinstance(hook, PipelineHook):
            return pipeline_job(hook)
        if isinstance(hook, DeploymentHook):
            return deployment_job(hook)
        if isinstance(hook, IssueHook) and (closed := todo_issue_event_job(hook, self._bot_name)) is not None:
            return closed
        edited = isinstance(hook, NoteHook) and hook.object_attributes.action == NOTE_UPDATED
        if edited and isinstance(hook, NoteHook) and (change := note_edit_job(hook, self._bot_name)) is not None:
            return change
        comment = comment_from(hook) if isinstance(hook, NoteHook) else None
        if comment is None:
            return Ignored("event not handled", f"{event or 'event'} is not handled")
        decision = addressed_to_bot(comment, self._bot_name)
        if isinstance(decision, Ignored):
            return decision
        return decision.id, Job.of(decision)
