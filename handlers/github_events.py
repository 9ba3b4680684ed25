"""The GitHub webhook events opsbot handles, as typed values: the one place a
GitHub body is parsed. Only the fields the handlers read are declared."""

from __future__ import annotations

from typing import Any

import msgspec

from handlers.http_payloads import Id, MalformedPayload, Shape, decode_payload

# Event names, as GitHub sends them in X-GitHub-Event.
ISSUE_COMMENT = "issue_comment"
REVIEW_COMMENT = "pull_request_review_comment"
ISSUES = "issues"
DEPLOYMENT_STATUS = "deployment_status"
PING = "ping"
# Of the `issues` event only these actions matter (a todo's issue closed or reopened).
ISSUE_ACTIONS = ("closed", "reopened")


class User(Shape):
    login: str
    type: str | None = None


class Repository(Shape):
    full_name: str


class Issue(Shape):
    number: Id
    body: str | None = None
    updated_at: str | None = None
    # Present (an object) when the issue is a pull request.
    pull_request: dict[str, Any] | None = None


class Comment(Shape):
    id: Id
    user: User
    body: str | None = None
    updated_at: str | None = None


class PreviousBody(Shape):
    previous: str | None = msgspec.field(default=None, name="from")


class Changes(Shape):
    body: PreviousBody | None = None


class IssueCommentEvent(Shape):
    comment: Comment
    issue: Issue
    repository: Repository
    action: str | None = None
    sender: User | None = None
    changes: Changes | None = None


class PullRequestNumber(Shape):
    number: Id


class ReviewCommentEvent(Shape):
    comment: Comment
    pull_request: PullRequestNumber
    repository: Repository
    action: str | None = None


class IssueAction(Shape):
    action: str | None = None


class IssuesEvent(Shape):
    issue: Issue
    repository: Repository
    sender: User
    action: str | None = None


class Deployment(Shape):
    id: Id
    # Whatever the creator attached: opsbot's own deployments carry its key (bot.deploys.records).
    payload: dict[str, Any] | str | None = None


class DeploymentStatus(Shape):
    state: str
    log_url: str | None = None
    target_url: str | None = None
    environment_url: str | None = None


class DeploymentStatusEvent(Shape):
    deployment: Deployment
    deployment_status: DeploymentStatus
    repository: Repository


class PingEvent(Shape):
    zen: str | None = None


GitHubEvent = IssueCommentEvent | ReviewCommentEvent | IssuesEvent | DeploymentStatusEvent | PingEvent

_SHAPES: dict[str, type[GitHubEvent]] = {
    ISSUE_COMMENT: IssueCommentEvent,
    REVIEW_COMMENT: ReviewCommentEvent,
    DEPLOYMENT_STATUS: DeploymentStatusEvent,
    PING: PingEvent,
}


# Every event name parse_event reads; the GitHub App manifest subscribes to these.
HANDLED_EVENTS = frozenset({*_SHAPES, ISSUES})


def parse_event(event: str, body: bytes) -> GitHubEvent | None:
    """The typed event, None for an event (or an `issues` action) opsbot doesn't handle;
    :class:`MalformedPayload` when a handled one isn't the shape GitHub documents."""
    if event == ISSUES:
        # Only closing and reopening are read; other actions are not checked further.
        if decode_payload(body, IssueAction).action not in ISSUE_ACTIONS:
            return None
        return decode_payload(body, IssuesEvent)
    shape = _SHAPES.get(event)
    return None if shape is None else decode_payload(body, shape)


def is_pull_request(issue: Issue) -> bool:
    return issue.pull_request is not None


def required(value: str | None, name: str) -> str:
    if value is None:
        raise MalformedPayload(f"{name} is missing")
    return value


BOT_USER_TYPE = "Bot"  # GitHub's `type` of an App's or a bot account's user
