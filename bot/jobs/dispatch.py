"""Route each job kind to the core service that carries it out.

The table below is every kind opsbot runs: each entry reads its payload into
its type once, so a handler only ever sees a typed value, and a payload that
doesn't read is a :class:`MalformedJob` (not retried; dead-lettered with the
reason) rather than a ``KeyError`` half-way through the work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bot.alerts.actions import AlertAction, ReconcileDue
from bot.alerts.model import Notification
from bot.deploys.form import FormRequest, FormSubmission
from bot.deploys.status_report import DeployStatusReport
from bot.forges import ForgeName
from bot.home.model import HomeAction, HomeRefresh
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.kinds import Delivery, Job, MalformedJob, UnknownJob
from bot.model import ChatMessage, Person, Place
from bot.redelivery.model import RecoveryDue
from bot.todos.changes import TODO_CHANGE, ChecklistEdited, TodoChange, todo_change_from_json

log = logging.getLogger(__name__)

P = TypeVar("P")


@dataclass(frozen=True)
class Route(Generic[P]):
    """One job kind: how its payload reads, what carries it out, and who hears when it fails."""

    parse: Callable[[Mapping[str, Any]], P]
    run: Callable[[P, Delivery], Awaitable[None]]
    report: Callable[[P, Delivery, str], Awaitable[None]] | None = None  # None: nobody to tell


# What the dispatcher needs of each service, no more: the services themselves
# are built by the composition root.


class Conversation(Protocol):
    async def handle(self, message: ChatMessage, *, redelivered: bool, asked_at: float) -> None: ...

    async def report_failure(self, message: ChatMessage, text: str, *, asked_at: float) -> None: ...


class DeployStatuses(Protocol):
    async def key_for_commit(self, forge: ForgeName, repo: str, environment: str, sha_prefix: str) -> str | None: ...

    async def status_changed(self, key: str, status: str, url: str | None) -> None: ...


class DeployFormJobs(Protocol):
    async def show(self, request: FormRequest) -> None: ...

    async def submit(self, submission: FormSubmission) -> str: ...

    async def refused(self, submission: FormSubmission, why: str) -> None: ...


class TodoChanges(Protocol):
    async def checklist_edited(
        self, where: Place, person: Person, body: str, previous: str | None, at: float
    ) -> str: ...

    async def issue_state_changed(
        self, forge: ForgeName, repo: str, number: int, description: str, person: Person, closed: bool, at: float
    ) -> str: ...


class IncidentReminders(Protocol):
    async def remind(self, incident_id: str, due: float) -> None: ...


class AlertNotifications(Protocol):
    async def notified(self, notification: Notification) -> str: ...


class AlertButtons(Protocol):
    async def clicked(self, action: AlertAction) -> str: ...

    async def reconcile(self, due: ReconcileDue) -> str: ...


class HomeJobs(Protocol):
    async def refresh(self, request: HomeRefresh) -> None: ...

    async def clicked(self, action: HomeAction) -> None: ...

    async def failed(self, action: HomeAction, text: str) -> None: ...


class WebhookRecoveries(Protocol):
    async def recover(self, due: RecoveryDue) -> object: ...


class Dispatcher:
    def __init__(
        self,
        chatops: Conversation,
        deploying: DeployStatuses,
        todos: TodoChanges,
        incidents: IncidentReminders,
        alerts: AlertNotifications | None = None,
        alert_buttons: AlertButtons | None = None,
        home: HomeJobs | None = None,
        forms: DeployFormJobs | None = None,
        *,
        webhook_recovery: WebhookRecoveries | None = None,
    ) -> None:
        self._home = home
        self._alert_buttons = alert_buttons
        self._forms = forms
        self._webhook_recovery = webhook_recovery
        self._chatops = chatops
        self._deploying = deploying
        self._todos = todos
        self._incidents = incidents
        self._alerts = alerts
        self._routes: dict[str, Route[Any]] = {
            ChatMessage.KIND: Route(ChatMessage.from_json, self._chat_message, self._chat_failed),
            DeployStatusReport.KIND: Route(DeployStatusReport.from_json, self._deploy_status),
            TODO_CHANGE: Route(todo_change_from_json, self._todo_change),
            ReminderDue.KIND: Route(ReminderDue.from_json, self._incident_reminder),
            Notification.KIND: Route(Notification.from_json, self._alert_notification),
            AlertAction.KIND: Route(AlertAction.from_json, self._alert_action),
            ReconcileDue.KIND: Route(ReconcileDue.from_json, self._alert_reconcile),
            HomeRefresh.KIND: Route(HomeRefresh.from_json, self._home_refresh),
            HomeAction.KIND: Route(HomeAction.from_json, self._home_action, self._home_action_failed),
            FormRequest.KIND: Route(FormRequest.from_json, self._deploy_form),
            FormSubmission.KIND: Route(FormSubmission.from_json, self._deploy_form_submitted, self._deploy_form_failed),
            RecoveryDue.KIND: Route(RecoveryDue.from_json, self._webhook_recovery_due),
        }

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._routes)

    async def run(self, delivery: Delivery) -> None:
        route = self._route(delivery.job)
        await route.run(self._parse(route, delivery.job), delivery)

    async def report(self, delivery: Delivery, text: str) -> None:
        """Tell the person who asked that their request failed, when a person asked."""
        try:
            route = self._route(delivery.job)
            payload = self._parse(route, delivery.job)
        except (UnknownJob, MalformedJob):
            return  # nobody can be named from a payload that doesn't read
        if route.report is not None:
            await route.report(payload, delivery, text)

    def _route(self, job: Job) -> Route[Any]:
        route = self._routes.get(job.kind)
        if route is None:
            raise UnknownJob(job.kind)
        return route

    @staticmethod
    def _parse(route: Route[P], job: Job) -> P:
        if not isinstance(job.payload, Mapping):
            raise MalformedJob(f"{job.kind} payload is not an object")
        try:
            return route.parse(job.payload)
        except (KeyError, TypeError, ValueError) as exc:
            reason = f"{exc.args[0]!r} is missing" if isinstance(exc, KeyError) and exc.args else str(exc)
            raise MalformedJob(f"{job.kind} payload: {reason}") from exc

    async def _chat_message(self, message: ChatMessage, delivery: Delivery) -> None:
        await self._chatops.handle(message, redelivered=delivery.redelivered, asked_at=delivery.job.enqueued_at)

    async def _chat_failed(self, message: ChatMessage, delivery: Delivery, text: str) -> None:
        await self._chatops.report_failure(message, text, asked_at=delivery.job.enqueued_at)

    async def _deploy_status(self, report: DeployStatusReport, _: Delivery) -> None:
        named = report.deployment
        if isinstance(named, str):
            key: str | None = named
        else:
            key = await self._deploying.key_for_commit(named.forge, named.repo, named.environment, named.sha_prefix)
        if key is not None:
            await self._deploying.status_changed(key, report.status, report.url)

    async def _incident_reminder(self, reminder: ReminderDue, _: Delivery) -> None:
        await self._incidents.remind(reminder.incident, reminder.due)

    async def _alert_notification(self, notification: Notification, _: Delivery) -> None:
        if self._alerts is None:
            log.warning("alert notification dropped: alert groups are not set up in this process")
            return
        outcome = await self._alerts.notified(notification)
        log.info("alert notification", extra={"outcome": outcome, "alerts": len(notification.alerts)})

    async def _alert_action(self, action: AlertAction, _: Delivery) -> None:
        if self._alert_buttons is None:
            log.warning("alert button click dropped: alert actions are not set up in this process")
            return
        outcome = await self._alert_buttons.clicked(action)
        log.info("alert button", extra={"outcome": outcome, "action": action.action})

    async def _alert_reconcile(self, due: ReconcileDue, _: Delivery) -> None:
        if self._alert_buttons is None:
            return
        outcome = await self._alert_buttons.reconcile(due)
        log.info("alert group reconciled", extra={"outcome": outcome})

    async def _home_refresh(self, request: HomeRefresh, _: Delivery) -> None:
        if self._home is None:
            log.warning("Home refresh dropped: the Home tab is not set up in this process (no Slack)")
            return
        await self._home.refresh(request)

    async def _home_action(self, action: HomeAction, _: Delivery) -> None:
        if self._home is None:
            log.warning("Home button click dropped: the Home tab is not set up in this process (no Slack)")
            return
        await self._home.clicked(action)

    async def _home_action_failed(self, action: HomeAction, _: Delivery, text: str) -> None:
        if self._home is not None:
            await self._home.failed(action, text)

    async def _deploy_form(self, request: FormRequest, _: Delivery) -> None:
        if self._forms is None:
            log.warning("deploy form dropped: forms are not set up in this process")
            return
        await self._forms.show(request)

    async def _deploy_form_submitted(self, submission: FormSubmission, _: Delivery) -> None:
        if self._forms is None:
            log.warning("deploy form submission dropped: forms are not set up in this process")
            return
        outcome = await self._forms.submit(submission)
        log.info("deploy form submitted", extra={"outcome": outcome, "person": submission.requester.handle})

    async def _deploy_form_failed(self, submission: FormSubmission, _: Delivery, text: str) -> None:
        # The person is looking at the form: the failure goes there, as a refusal would.
        if self._forms is not None:
            await self._forms.refused(submission, text)

    async def _webhook_recovery_due(self, due: RecoveryDue, _: Delivery) -> None:
        if self._webhook_recovery is None:
            # Another process queued it with recovery on; here it is off (check-config says why).
            log.info("webhook recovery skipped: it is off in this process", extra={"reason": due.reason})
            return
        await self._webhook_recovery.recover(due)

    async def _todo_change(self, change: TodoChange, _: Delivery) -> None:
        if isinstance(change, ChecklistEdited):
            outcome = await self._todos.checklist_edited(
                change.place, change.person, change.body, change.previous, change.at
            )
            what = "checklist"
        else:
            outcome = await self._todos.issue_state_changed(
                change.forge, change.repo, change.number, change.description, change.person, change.closed, change.at
            )
            what = "issue"
        log.info("todo change", extra={"outcome": outcome, "person": change.person.handle, "what": what})
