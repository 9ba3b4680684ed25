"""The GitLab webhook events opsbot handles, as typed values: the one place a
GitLab body is parsed. GitLab names the event in the body (``object_kind``);
only the fields the handlers read are declared."""

from __future__ import annotations

from typing import Literal

from handlers.http_payloads import Id, MalformedPayload, Shape, decode_payload

# object_kind values
NOTE = "note"
ISSUE = "issue"
PIPELINE = "pipeline"
DEPLOYMENT = "deployment"
# Actions GitLab sends in object_attributes.action
NOTE_CREATED = "create"
NOTE_UPDATED = "update"
ISSUE_ACTIONS = ("close", "reopen")
NoteableKind = Literal["merge_request", "issue"]
NOTEABLE_KINDS: dict[str, NoteableKind] = {"MergeRequest": "merge_request", "Issue": "issue"}


class Kind(Shape):
    object_kind: str | None = None


class User(Shape):
    username: str
    bot: bool | None = None


class Project(Shape):
    path_with_namespace: str | None = None
    id: Id | None = None


class NamedProject(Shape):
    path_with_namespace: str


class NoteAttributes(Shape):
    id: Id
    noteable_type: str | None = None
    note: str | None = None
    # Newer GitLab says whether a note was created or updated; older
    # deliveries (no "action") only ever fire on creation.
    action: str | None = None
    updated_at: str | None = None


class Noteable(Shape):
    iid: Id


class NoteHook(Shape):
    object_attributes: NoteAttributes
    project: Project
    user: User
    merge_request: Noteable | None = None
    issue: Noteable | None = None


class Action(Shape):
    action: str | None = None


class IssueKind(Shape):
    object_attributes: Action


class IssueAttributes(Shape):
    iid: Id
    updated_at: str
    action: str | None = None
    description: str | None = None


class IssueHook(Shape):
    object_attributes: IssueAttributes
    project: NamedProject
    user: User


class Variable(Shape):
    key: str | None = None


class PipelineAttributes(Shape):
    id: Id
    status: str
    url: str | None = None
    variables: list[Variable] | None = None


class PipelineHook(Shape):
    object_attributes: PipelineAttributes
    project: NamedProject


class DeploymentHook(Shape):
    status: str
    deployment_id: Id
    environment: str
    short_sha: str
    project: NamedProject
    environment_external_url: str | None = None
    deployable_url: str | None = None


GitLabEvent = NoteHook | IssueHook | PipelineHook | DeploymentHook

_SHAPES: dict[str, type[GitLabEvent]] = {NOTE: NoteHook, PIPELINE: PipelineHook, DEPLOYMENT: DeploymentHook}


def parse_event(body: bytes) -> GitLabEvent | None:
    """The typed event, None for an event (or an issue action) opsbot doesn't handle;
    :class:`MalformedPayload` when a handled one isn't the shape GitLab documents."""
    kind = decode_payload(body, Kind).object_kind
    if kind == ISSUE:
        # Only closing and reopening are read; other actions are not checked further.
        if decode_payload(body, IssueKind).object_attributes.action not in ISSUE_ACTIONS:
            return None
        return decode_payload(body, IssueHook)
    shape = _SHAPES.get(kind or "")
    return None if shape is None else decode_payload(body, shape)


def noteable(hook: NoteHook) -> tuple[NoteableKind, int] | None:
    """The kind and iid of what a note is on; None for commit and snippet notes,
    which have no thread to answer in."""
    kind = NOTEABLE_KINDS.get(hook.object_attributes.noteable_type or "")
    if kind is None:
        return None
    target = hook.merge_request if kind == "merge_request" else hook.issue
    if target is None:
        raise MalformedPayload(f"{kind} is missing")
    return kind, target.iid


def project_name(project: Project) -> str:
    if project.path_with_namespace:
        return project.path_with_namespace
    if project.id is None:
        raise MalformedPayload("project.path_with_namespace is missing")
    return str(project.id)
