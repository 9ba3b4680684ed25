"""Hypothesis strategies for every job payload type, shared by the jobs tests."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.alerts.actions import ACTIONS, AlertAction, ReconcileDue
from bot.alerts.model import Alert, Notification
from bot.deploys.form import Choices, FormRequest, FormSubmission, OpenView
from bot.deploys.status_report import DeployedCommit, DeployStatusReport
from bot.home.model import HOME_ACTIONS, HomeAction, HomeRefresh
from bot.incidents.reminder_due import ReminderDue
from bot.model import ChatMessage, ConsoleThread, GitHubThread, GitLabThread, Person, SlackThread
from bot.redelivery.model import RecoveryDue
from bot.todos.changes import ChecklistEdited, TodoIssueChanged

# What JSON can carry: no lone surrogates (not UTF-8), no NaN or infinities (not JSON).
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)
ids = st.integers(min_value=0, max_value=2**63 - 1)
forges = st.sampled_from(("github", "gitlab"))

people = st.builds(Person, st.sampled_from(("slack", "github", "gitlab", "console")), texts)
github_threads = st.builds(GitHubThread, texts, ids, st.booleans())
gitlab_threads = st.builds(GitLabThread, texts, ids, st.sampled_from(("merge_request", "issue")))
places = st.one_of(
    st.builds(SlackThread, texts, st.none() | texts, st.none() | texts),
    github_threads,
    gitlab_threads,
    st.builds(ConsoleThread, texts),
)

chat_messages = st.builds(
    ChatMessage, texts, people, places, texts, st.sampled_from(("slash", "mention")), st.none() | texts
)
deploy_status_reports = st.builds(
    DeployStatusReport,
    texts.filter(bool) | st.builds(DeployedCommit, forges, texts, texts, texts),
    texts,
    st.none() | texts,
)
checklist_edits = st.builds(ChecklistEdited, github_threads | gitlab_threads, texts, st.none() | texts, people, times)
todo_issue_changes = st.builds(TodoIssueChanged, forges, texts, ids, texts, st.booleans(), people, times)
reminders = st.builds(ReminderDue, texts, times)

labels = st.dictionaries(texts, texts, max_size=3)
statuses = st.sampled_from(("firing", "resolved"))
alerts = st.builds(Alert, texts, statuses, labels, labels, texts, texts, texts)
notifications = st.builds(
    Notification,
    st.sampled_from(("alertmanager", "grafana")),
    texts,
    statuses,
    texts,
    labels,
    labels,
    labels,
    texts,
    st.lists(alerts, max_size=3).map(tuple),
    st.integers(min_value=0, max_value=2**63 - 1),
)

alert_actions = st.builds(AlertAction, st.sampled_from(ACTIONS), texts, texts, texts, texts, texts)
alert_reconciles = st.builds(ReconcileDue, texts, times)
home_refreshes = st.builds(HomeRefresh, st.none() | texts, st.booleans())
home_actions = st.builds(HomeAction, texts, st.sampled_from(HOME_ACTIONS), texts, texts)

views = st.builds(OpenView, texts, st.none() | texts)
choices = st.builds(Choices, st.none() | texts, st.none() | texts, st.none() | texts)
form_requests = st.builds(FormRequest, views, people, places, choices)
form_submissions = st.builds(FormSubmission, texts, views, people, places, choices)
webhook_recoveries = st.builds(RecoveryDue, times, texts)

payloads = st.one_of(
    chat_messages,
    deploy_status_reports,
    checklist_edits,
    todo_issue_changes,
    reminders,
    notifications,
    alert_actions,
    alert_reconciles,
    home_refreshes,
    home_actions,
    form_requests,
    form_submissions,
    webhook_recoveries,
)
