"""The dispatcher: each kind's payload is read once, into its type, and handed to its service."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from hypothesis import given, settings

from bot.alerts.actions import AlertAction, ReconcileDue
from bot.alerts.model import Notification
from bot.deploys.form import Choices, FormRequest, FormSubmission, OpenView
from bot.deploys.status_report import DeployedCommit, DeployStatusReport
from bot.forges import ForgeName
from bot.home.model import HomeAction, HomeRefresh
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.dispatch import Dispatcher
from bot.jobs.kinds import Delivery, Job, MalformedJob, Payload, UnknownJob
from bot.model import ChatMessage, GitHubThread, Person, Place, SlackThread
from bot.redelivery.model import RecoveryDue
from bot.todos.changes import ChecklistEdited, TodoIssueChanged
from tests.bot.jobs.payloads import payloads
from tests.bot.jobs.test_kinds import QUEUED_BEFORE


class Services:
    """Every service the dispatcher hands work to, writing down what it was handed."""

    def __init__(self, commits: dict[tuple[str, str, str, str], str] | None = None) -> None:
        self.calls: list[tuple[str, object]] = []
        self._commits = commits or {}

    async def handle(self, message: ChatMessage, *, redelivered: bool, asked_at: float) -> None:
        self.calls.append(("handle", (message, redelivered, asked_at)))

    async def report_failure(self, message: ChatMessage, text: str, *, asked_at: float) -> None:
        self.calls.append(("report_failure", (message, text, asked_at)))

    async def key_for_commit(self, forge: ForgeName, repo: str, environment: str, sha_prefix: str) -> str | None:
        self.calls.append(("key_for_commit", (forge, repo, environment, sha_prefix)))
        return self._commits.get((forge, repo, environment, sha_prefix))

    async def status_changed(self, key: str, status: str, url: str | None) -> None:
        self.calls.append(("status_changed", (key, status, url)))

    async def checklist_edited(self, where: Place, person: Person, body: str, previous: str | None, at: float) -> str:
        self.calls.append(("checklist_edited", (where, person, body, previous, at)))
        return "changed"

    async def issue_state_changed(
        self, forge: ForgeName, repo: str, number: int, description: str, person: Person, closed: bool, at: float
    ) -> str:
        self.calls.append(("issue_state_changed", (forge, repo, number, description, person, closed, at)))
        return "unchanged"

    async def remind(self, incident_id: str, due: float) -> None:
        self.calls.append(("remind", (incident_id, due)))

    async def notified(self, notification: Notification) -> str:
        self.calls.append(("notified", notification))
        return "posted"

    async def clicked(self, action: AlertAction) -> str:
        self.calls.append(("clicked", action))
        return "silenced"

    async def reconcile(self, due: ReconcileDue) -> str:
        self.calls.append(("reconcile", due))
        return "pending"

    async def show(self, request: FormRequest) -> None:
        self.calls.append(("show", request))

    async def submit(self, submission: FormSubmission) -> str:
        self.calls.append(("submit", submission))
        return "asked"

    async def refused(self, submission: FormSubmission, why: str) -> None:
        self.calls.append(("refused", (submission, why)))

    async def recover(self, due: RecoveryDue) -> str:
        self.calls.append(("recover", due))
        return "asked for 0"

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(
            self, self, self, self, self, self, HomeServices(self.calls), forms=self, webhook_recovery=self
        )


class HomeServices:
    """The Home's side of the dispatcher (its ``clicked`` is not the alert buttons')."""

    def __init__(self, calls: list[tuple[str, object]]) -> None:
        self.calls = calls

    async def refresh(self, request: HomeRefresh) -> None:
        self.calls.append(("refresh", request))

    async def clicked(self, action: HomeAction) -> None:
        self.calls.append(("home_clicked", action))

    async def failed(self, action: HomeAction, text: str) -> None:
        self.calls.append(("home_failed", (action, text)))


def delivered(job: Job, *, redelivered: bool = False) -> Delivery:
    return Delivery(job, receipt="1-0", redelivered=redelivered)


def handed(payload: Payload, job: Job) -> tuple[str, object]:
    """The one call the dispatcher should make for ``payload``, carried by ``job``."""
    if isinstance(payload, ChatMessage):
        return "handle", (payload, False, job.enqueued_at)
    if isinstance(payload, DeployStatusReport):
        assert isinstance(payload.deployment, str)
        return "status_changed", (payload.deployment, payload.status, payload.url)
    if isinstance(payload, ChecklistEdited):
        return "checklist_edited", (payload.place, payload.person, payload.body, payload.previous, payload.at)
    if isinstance(payload, TodoIssueChanged):
        fields = (payload.forge, payload.repo, payload.number, payload.description, payload.person)
        return "issue_state_changed", (*fields, payload.closed, payload.at)
    if isinstance(payload, Notification):
        return "notified", payload
    if isinstance(payload, AlertAction):
        return "clicked", payload
    if isinstance(payload, ReconcileDue):
        return "reconcile", payload
    if isinstance(payload, HomeRefresh):
        return "refresh", payload
    if isinstance(payload, HomeAction):
        return "home_clicked", payload
    if isinstance(payload, FormRequest):
        return "show", payload
    if isinstance(payload, FormSubmission):
        return "submit", payload
    if isinstance(payload, RecoveryDue):
        return "recover", payload
    assert isinstance(payload, ReminderDue)
    return "remind", (payload.incident, payload.due)


MESSAGE = ChatMessage("slack:command:t-1", Person("slack", "U1"), SlackThread("C1"), "help", "slash")


def test_the_table_knows_every_kind_opsbot_queues() -> None:
    assert Services().dispatcher().kinds == {
        "chat.message",
        "deploy.status",
        "todo.change",
        "incident.reminder",
        "alert.notification",
        "alert.action",
        "alert.reconcile",
        "home.refresh",
        "home.action",
        "deploy.form",
        "deploy.form.submitted",
        "webhook.recovery",
    }


@settings(max_examples=200, deadline=None)
@given(payloads.filter(lambda p: not isinstance(p, DeployStatusReport) or isinstance(p.deployment, str)))
async def test_each_payload_reaches_its_service_as_the_typed_value(payload: Payload) -> None:
    services = Services()
    job = Job.decode(Job.of(payload).encode())
    await services.dispatcher().run(delivered(job))
    assert services.calls == [handed(payload, job)]


@pytest.mark.parametrize(("raw", "payload"), QUEUED_BEFORE, ids=lambda case: getattr(case, "KIND", ""))
async def test_a_job_queued_by_the_previous_release_still_runs(raw: bytes, payload: Payload) -> None:
    commit = ("gitlab", "acme/web", "production", "b83d6e39")
    services = Services({commit: "gitlab:acme/web:77"})
    job = Job.decode(raw)
    await services.dispatcher().run(delivered(job))
    if isinstance(payload, DeployStatusReport) and not isinstance(payload.deployment, str):
        expected = [("key_for_commit", commit), ("status_changed", ("gitlab:acme/web:77", payload.status, payload.url))]
        assert services.calls == expected
    else:
        assert services.calls == [handed(payload, job)]


async def test_without_alert_groups_a_notification_is_dropped_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    services = Services()
    notification = Notification("alertmanager", "r", "firing", "{}:{}", {}, {}, {}, "http://am:9093", ())
    await Dispatcher(services, services, services, services).run(delivered(Job.of(notification)))
    assert services.calls == []
    assert "alert notification dropped" in caplog.text


async def test_without_slack_home_jobs_are_dropped_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    services = Services()
    dispatcher = Dispatcher(services, services, services, services)
    click = HomeAction("U1", "approve", "abc123", "t-1")
    for payload in (HomeRefresh(), click):
        await dispatcher.run(delivered(Job.of(payload)))
    await dispatcher.report(delivered(Job.of(click)), "it failed")
    assert services.calls == []
    assert "Home refresh dropped" in caplog.text
    assert "Home button click dropped" in caplog.text


async def test_a_home_click_that_failed_is_reported_on_the_home() -> None:
    services = Services()
    click = HomeAction("U1", "unlock", "staging", "t-1")
    await services.dispatcher().report(delivered(Job.of(click)), "GitHub is not answering (error id E-1)")
    assert services.calls == [("home_failed", (click, "GitHub is not answering (error id E-1)"))]
    await services.dispatcher().report(delivered(Job.of(HomeRefresh())), "it failed")  # nobody asked: nobody told
    assert len(services.calls) == 1


async def test_without_recovery_here_a_recovery_pass_is_skipped_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    services = Services()
    with caplog.at_level(logging.INFO, logger="bot.jobs.dispatch"):
        await Dispatcher(services, services, services, services).run(delivered(Job.of(RecoveryDue(1.0, "test"))))
    assert services.calls == []
    assert "webhook recovery skipped" in caplog.text


async def test_a_redelivered_message_is_handled_as_one_that_may_have_answered_already() -> None:
    services = Services()
    job = Job.of(MESSAGE)
    await services.dispatcher().run(delivered(job, redelivered=True))
    assert services.calls == [("handle", (MESSAGE, True, job.enqueued_at))]


async def test_a_deploy_named_by_a_commit_opsbot_did_not_deploy_changes_nothing() -> None:
    services = Services()
    commit = DeployedCommit("gitlab", "acme/web", "production", "b83d6e39")
    await services.dispatcher().run(delivered(Job.of(DeployStatusReport(commit, "success", None))))
    assert services.calls == [("key_for_commit", ("gitlab", "acme/web", "production", "b83d6e39"))]


async def test_an_unknown_kind_is_refused_by_name_and_reported_to_nobody() -> None:
    services = Services()
    job = Job("alert.fired", {"alert": "HighLatency"})
    with pytest.raises(UnknownJob) as raised:
        await services.dispatcher().run(delivered(job))
    assert str(raised.value) == "alert.fired"
    await services.dispatcher().report(delivered(job), "it failed")
    assert services.calls == []


@pytest.mark.parametrize(
    ("job", "reason"),
    [
        (Job("deploy.status", {"key": "github:acme/api:1", "url": None}), "deploy.status payload: 'status' is missing"),
        (
            Job("incident.reminder", {"incident": "inc-1", "due": "soon"}),
            "incident.reminder payload: 'due' is not a number",
        ),
        (Job("todo.change", {"what": "checklist"}), "todo.change payload: 'place' is missing"),
        (
            Job("chat.message", {**MESSAGE.to_json(), "place": {"platform": "irc", "channel": "#ops"}}),
            "chat.message payload: 'platform' is not one of slack, github, gitlab, console",
        ),
        (Job("chat.message", {**MESSAGE.to_json(), "author": "U1"}), "chat.message payload: 'author' is not an object"),
        (Job("chat.message", ["not", "an", "object"]), "chat.message payload is not an object"),  # type: ignore[arg-type]
    ],
)
async def test_a_payload_that_does_not_read_is_malformed_and_reaches_no_service(job: Job, reason: str) -> None:
    services = Services()
    with pytest.raises(MalformedJob) as raised:
        await services.dispatcher().run(delivered(job))
    assert str(raised.value) == reason
    await services.dispatcher().report(delivered(job), "it failed")
    assert services.calls == []


async def test_a_failed_message_is_reported_to_its_asker() -> None:
    services = Services()
    job = replace(Job.of(MESSAGE), attempt=3)
    await services.dispatcher().report(delivered(job), "GitHub is not answering")
    assert services.calls == [("report_failure", (MESSAGE, "GitHub is not answering", job.enqueued_at))]


SUBMISSION = FormSubmission(
    "t-9", OpenView("V1"), Person("slack", "U1"), SlackThread("C1"), Choices("api", "staging", None)
)


async def test_a_failed_form_submission_is_reported_in_the_form() -> None:
    services = Services()
    await services.dispatcher().report(delivered(Job.of(SUBMISSION)), "GitHub is not answering")
    assert services.calls == [("refused", (SUBMISSION, "GitHub is not answering"))]


async def test_without_forms_a_form_job_is_dropped_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    services = Services()
    without = Dispatcher(services, services, services, services)
    await without.run(delivered(Job.of(SUBMISSION)))
    await without.run(delivered(Job.of(FormRequest(OpenView("V1"), SUBMISSION.requester, SUBMISSION.origin))))
    await without.report(delivered(Job.of(SUBMISSION)), "it failed")
    assert services.calls == []
    assert "deploy form submission dropped" in caplog.text
    assert "deploy form dropped" in caplog.text


async def test_a_failed_job_nobody_asked_for_is_reported_to_nobody() -> None:
    services = Services()
    thread = GitHubThread("acme/api", 7, True)
    for payload in (
        DeployStatusReport("github:acme/api:42", "failure", None),
        ChecklistEdited(thread, "- [x] a", None, Person("github", "octocat"), 1.0),
        ReminderDue("inc-1", 1.0),
    ):
        await services.dispatcher().report(delivered(Job.of(payload)), "it failed")
    assert services.calls == []
