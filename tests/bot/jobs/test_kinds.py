"""Job payloads: each kind turns into the queue's JSON and back, in the form releases share."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.actions import AlertAction, ReconcileDue
from bot.alerts.model import Notification
from bot.deploys.form import FormRequest, FormSubmission
from bot.deploys.status_report import DeployedCommit, DeployStatusReport
from bot.home.model import HomeAction, HomeRefresh
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.kinds import Job, Payload
from bot.model import ChatMessage, GitHubThread, GitLabThread, Person, SlackThread
from bot.redelivery.model import RecoveryDue
from bot.todos.changes import ChecklistEdited, TodoIssueChanged, todo_change_from_json
from tests.bot.jobs.payloads import payloads

# Jobs exactly as the previous release wrote them to Redis (its edges built the payload
# dicts by hand); a release that can't read them loses what was queued across a deploy.
QUEUED_BEFORE: list[tuple[bytes, Payload]] = [
    (
        b'{"kind":"chat.message","payload":{"id":"github:issue_comment:11","author":{"platform":"github",'
        b'"id":"octocat"},"place":{"repo":"acme/api","number":7,"is_pull_request":true,"platform":"github"},'
        b'"text":"deploy api to staging","via":"mention","source_id":"issue_comment:11"},'
        b'"id":"5f1c","attempt":2,"enqueued_at":1764768000.25,"trace":{"delivery":"d-1","event":"issue_comment"}}',
        ChatMessage(
            "github:issue_comment:11",
            Person("github", "octocat"),
            GitHubThread("acme/api", 7, True),
            "deploy api to staging",
            "mention",
            "issue_comment:11",
        ),
    ),
    (
        b'{"kind":"chat.message","payload":{"id":"slack:command:t-1","author":{"platform":"slack","id":"U1"},'
        b'"place":{"channel":"C1","thread_ts":null,"response_url":"https://hooks.slack.test/r/1",'
        b'"platform":"slack"},"text":"lock api production","via":"slash","source_id":null},'
        b'"id":"5f1d","attempt":1,"enqueued_at":1764768001.0,"trace":{"trigger_id":"t-1"}}',
        ChatMessage(
            "slack:command:t-1",
            Person("slack", "U1"),
            SlackThread("C1", None, "https://hooks.slack.test/r/1"),
            "lock api production",
            "slash",
        ),
    ),
    (
        b'{"kind":"deploy.status","payload":{"key":"github:acme/api:42","status":"success",'
        b'"url":"https://ci.test/42"},"id":"5f1e","attempt":1,"enqueued_at":1764768002.5,"trace":{}}',
        DeployStatusReport("github:acme/api:42", "success", "https://ci.test/42"),
    ),
    (
        b'{"kind":"deploy.status","payload":{"commit":{"forge":"gitlab","repo":"acme/web",'
        b'"environment":"production","sha_prefix":"b83d6e39"},"status":"in_progress","url":null},'
        b'"id":"5f1f","attempt":1,"enqueued_at":1764768003.0,"trace":{}}',
        DeployStatusReport(DeployedCommit("gitlab", "acme/web", "production", "b83d6e39"), "in_progress", None),
    ),
    (
        b'{"kind":"todo.change","payload":{"what":"checklist","place":{"project":"acme/web","iid":3,'
        b'"kind":"merge_request","platform":"gitlab"},"body":"- [x] rotate keys","previous":null,'
        b'"person":{"platform":"gitlab","id":"ana"},"at":1764768004.0},'
        b'"id":"5f20","attempt":1,"enqueued_at":1764768004.5,"trace":{}}',
        ChecklistEdited(
            GitLabThread("acme/web", 3, "merge_request"),
            "- [x] rotate keys",
            None,
            Person("gitlab", "ana"),
            1764768004.0,
        ),
    ),
    (
        b'{"kind":"todo.change","payload":{"what":"issue","forge":"github","repo":"acme/ops","number":12,'
        b'"description":"tracks a todo","closed":true,"person":{"platform":"github","id":"octocat"},'
        b'"at":1764768005.0},"id":"5f21","attempt":3,"enqueued_at":1764768005.5,"trace":{}}',
        TodoIssueChanged("github", "acme/ops", 12, "tracks a todo", True, Person("github", "octocat"), 1764768005.0),
    ),
    (
        b'{"kind":"incident.reminder","payload":{"incident":"inc-20261203-checkout-is-down","due":1764769800.0},'
        b'"id":"5f22","attempt":1,"enqueued_at":1764768006.0,"trace":{}}',
        ReminderDue("inc-20261203-checkout-is-down", 1764769800.0),
    ),
    (
        b'{"kind":"webhook.recovery","payload":{"requested_at":1764768007.5,"reason":"a worker started"},'
        b'"id":"5f23","attempt":1,"enqueued_at":1764768007.5,"trace":{}}',
        RecoveryDue(1764768007.5, "a worker started"),
    ),
]


def read(kind: str, payload: dict[str, Any]) -> Payload:
    """The payload type each kind names, read back."""
    readers: dict[str, Any] = {
        ChatMessage.KIND: ChatMessage.from_json,
        DeployStatusReport.KIND: DeployStatusReport.from_json,
        ChecklistEdited.KIND: todo_change_from_json,
        ReminderDue.KIND: ReminderDue.from_json,
        Notification.KIND: Notification.from_json,
        AlertAction.KIND: AlertAction.from_json,
        ReconcileDue.KIND: ReconcileDue.from_json,
        HomeRefresh.KIND: HomeRefresh.from_json,
        HomeAction.KIND: HomeAction.from_json,
        FormRequest.KIND: FormRequest.from_json,
        FormSubmission.KIND: FormSubmission.from_json,
        RecoveryDue.KIND: RecoveryDue.from_json,
    }
    value: Payload = readers[kind](payload)
    return value


@pytest.mark.parametrize(("raw", "expected"), QUEUED_BEFORE, ids=lambda case: getattr(case, "KIND", ""))
def test_a_job_queued_by_the_previous_release_reads_as_its_typed_payload(raw: bytes, expected: Payload) -> None:
    job = Job.decode(raw)
    assert job.kind == expected.KIND
    assert read(job.kind, job.payload) == expected


@pytest.mark.parametrize(("raw", "expected"), QUEUED_BEFORE, ids=lambda case: getattr(case, "KIND", ""))
def test_a_job_made_from_a_typed_payload_is_written_as_the_previous_release_wrote_it(
    raw: bytes, expected: Payload
) -> None:
    before = Job.decode(raw)
    job = replace(
        Job.of(expected, trace=before.trace), id=before.id, attempt=before.attempt, enqueued_at=before.enqueued_at
    )
    assert job.encode() == raw


def test_kinds_are_the_wire_strings_queued_jobs_carry() -> None:
    assert [
        ChatMessage.KIND,
        DeployStatusReport.KIND,
        ChecklistEdited.KIND,
        TodoIssueChanged.KIND,
        ReminderDue.KIND,
        FormRequest.KIND,
        FormSubmission.KIND,
    ] == [
        "chat.message",
        "deploy.status",
        "todo.change",
        "todo.change",
        "incident.reminder",
        "deploy.form",
        "deploy.form.submitted",
    ]


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_every_payload_survives_the_queue(payload: Payload) -> None:
    job = Job.decode(Job.of(payload, trace={"delivery": "d-1"}).encode())
    assert job.kind == payload.KIND
    assert job.trace == {"delivery": "d-1"}
    assert read(job.kind, job.payload) == payload


@settings(max_examples=300, deadline=None)
@given(payloads, st.data())
def test_a_field_of_the_wrong_type_is_named_not_passed_on(payload: Payload, data: st.DataObject) -> None:
    encoded = orjson.loads(orjson.dumps(payload.to_json()))
    name = data.draw(st.sampled_from(sorted(encoded)))
    encoded[name] = ["not", "a", "field"]
    with pytest.raises(ValueError, match=repr(name)):
        read(payload.KIND, encoded)


@settings(max_examples=300, deadline=None)
@given(payloads, st.data())
def test_a_missing_field_that_is_required_is_named(payload: Payload, data: st.DataObject) -> None:
    encoded = orjson.loads(orjson.dumps(payload.to_json()))
    optional = {"source_id", "url", "previous", "viewer", "key" if "commit" in encoded else "commit"}
    required = sorted(set(encoded) - optional)
    name = data.draw(st.sampled_from(required))
    del encoded[name]
    with pytest.raises(ValueError, match=repr(name)):
        read(payload.KIND, encoded)


def test_a_deploy_status_without_a_key_names_the_deployment_by_its_commit() -> None:
    # GitLab's Deployment hook names only the commit; a key that is empty names nothing.
    commit = {"forge": "gitlab", "repo": "acme/web", "environment": "production", "sha_prefix": "b83d6e39"}
    report = DeployStatusReport.from_json({"key": "", "commit": commit, "status": "success", "url": None})
    assert report.deployment == DeployedCommit("gitlab", "acme/web", "production", "b83d6e39")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"what": "board", "person": {"platform": "github", "id": "a"}, "at": 1.0}, "'what' is not one of"),
        (
            {
                "what": "checklist",
                "place": {"channel": "C1", "thread_ts": None, "platform": "slack"},
                "body": "",
                "previous": None,
                "person": {"platform": "slack", "id": "U1"},
                "at": 1.0,
            },
            "'place' is not a forge thread",
        ),
        (
            {
                "what": "issue",
                "forge": "bitbucket",
                "repo": "a/b",
                "number": 1,
                "description": "",
                "closed": True,
                "person": {"platform": "github", "id": "a"},
                "at": 1.0,
            },
            "'forge' is not one of github, gitlab",
        ),
        (
            {
                "what": "issue",
                "forge": "github",
                "repo": "a/b",
                "number": 1,
                "description": "",
                "closed": "yes",
                "person": {"platform": "github", "id": "a"},
                "at": 1.0,
            },
            "'closed' is not true or false",
        ),
    ],
)
def test_a_todo_change_that_is_neither_kind_is_refused(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        todo_change_from_json(payload)


def test_a_job_carries_a_fresh_trace_of_its_own() -> None:
    trace = {"event_id": "Ev1"}
    job = Job.of(ReminderDue("inc-1", 1.0), trace=trace)
    job.trace.update(delivery="d-1")  # the edges add their delivery ids after building the job
    assert trace == {"event_id": "Ev1"}
