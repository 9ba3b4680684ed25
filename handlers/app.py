"""The composition root: the one place that sees the core, clients and stores.

Nothing is built at import time. :func:`build_runtime` wires the core to
Redis (or the embedded store) and to whichever of Slack, GitHub and GitLab
are configured; :func:`build_web_app` puts the HTTP edges in front of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import gitlab
import redis.asyncio as redis
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.routing import Route

from bot.agent.agent import OpsAgent
from bot.agent.reviews import IncidentWriter
from bot.agent.toolbox import AgentServices
from bot.alerts.actions import AlertActions, DeclareIncident
from bot.alerts.groups import AlertGroups
from bot.alerts.incident_news import current_alerts
from bot.alerts.ports import LastDeploy, LastDeploys
from bot.clients.alertmanager import AlertmanagerClient
from bot.clients.claude import ClaudeModel
from bot.clients.github import GitHubChat, GitHubConnector, GitHubForge
from bot.clients.github_ci import GitHubCi
from bot.clients.github_hooks import GitHubHookDeliveries
from bot.clients.github_issues import GitHubIssues
from bot.clients.gitlab import GitLabChat, GitLabForge
from bot.clients.gitlab_ci import GitLabCi
from bot.clients.gitlab_issues import GitLabIssues
from bot.clients.slack import SlackChat
from bot.clients.slack_home import SlackHomeTab
from bot.clients.slack_modals import SlackDeployForm, SlackModals
from bot.clients.slack_rooms import SlackRooms
from bot.commands.entry import Section
from bot.commands.table import CommandTable
from bot.config import OpsConfig
from bot.conversation.assistant import Assistant, UnconfiguredAssistant
from bot.conversation.chatops import ChatOps
from bot.conversation.following import Following
from bot.conversation.progress import ProgressBoard
from bot.conversation.readers import ConversationReader
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import DEPLOY_COMMANDS, DeployCommands
from bot.deploys.denials import DENY_COMMANDS, Denials
from bot.deploys.deploying import Deploys
from bot.deploys.form_flow import DeployForms
from bot.deploys.lock_commands import LOCK_COMMANDS, LockCommands
from bot.deploys.locks import Locking
from bot.deploys.ports import BranchLister, Forge
from bot.errors import CommandError
from bot.forges import ForgeName
from bot.incidents.commands import INCIDENT_COMMANDS
from bot.incidents.lifecycle import Incidents, IncidentServices
from bot.incidents.ports import IncidentStore, Rooms
from bot.investigation.forge_ports import ForgeCi
from bot.jobs.dispatch import Dispatcher
from bot.jobs.intake import Intake
from bot.jobs.worker import Worker
from bot.memory.commands import MEMORY_COMMANDS, MemoryCommands
from bot.memory.memories import Memories
from bot.model import Place, Platform, SlackThread
from bot.ports import Chat, IssueTracker
from bot.redelivery.outages import OutageWatch
from bot.redelivery.recovery import PASS_TIME, WebhookRecovery
from bot.settings import Settings
from bot.stores.alerts import RedisAlertGroupStore
from bot.stores.audit import RedisAuditLog
from bot.stores.marks import RedisMarks
from bot.stores.memory import RedisMemoryStore
from bot.stores.mutex import RedisMutexes
from bot.stores.queue import RedisJobQueue
from bot.stores.redis import connect, ping
from bot.stores.seen import RedisSeenEvents
from bot.stores.stats import RedisJobStats
from bot.telemetry.metrics import Metrics
from bot.todos.board import TodoBoard
from bot.todos.checklist import TodoMirror
from bot.todos.commands import TODO_COMMANDS, TodoCommands
from bot.todos.ports import ThreadLinks
from handlers.alertmanager import AlertmanagerWebhook
from handlers.github import GitHubWebhook
from handlers.gitlab import GitLabWebhook
from handlers.health import Health
from handlers.home_wiring import build_home
from handlers.looks import build_looks
from handlers.slack import SlackEvents

log = logging.getLogger(__name__)
BLOCKING_THREADS = 32  # PyGithub and python-gitlab calls run here


@dataclass
class Runtime:
    settings: Settings
    config: OpsConfig
    redis: redis.Redis
    embedded: bool
    queue: RedisJobQueue
    stats: RedisJobStats
    metrics: Metrics
    commands: CommandTable
    chatops: ChatOps
    dispatcher: Dispatcher
    intake: Intake
    following: Following
    todos: TodoBoard
    # What the alerts feature declares incidents for and tells of its alerts (wired here, as deploy news is).
    incidents: Incidents
    model: ClaudeModel | None = None
    # Queues a pass over GitHub's delivery log once the store is back; None when recovery is off.
    outages: OutageWatch | None = None

    async def close(self) -> None:
        if self.outages is not None:
            await self.outages.close()
        if self.model is not None:
            await self.model.close()
        await self.redis.aclose()


def github_connector(settings: Settings) -> GitHubConnector | None:
    if settings.github_credentials is None:
        return None
    return GitHubConnector(
        settings.github_api_url,
        token=settings.github_token.reveal() if settings.github_token else None,
        app_id=settings.github_app_id,
        private_key=settings.github_app_private_key.reveal() if settings.github_app_private_key else None,
        write_interval=settings.github_write_interval,
    )


def gitlab_client(settings: Settings) -> gitlab.Gitlab | None:
    if settings.gitlab_token is None:
        return None
    return gitlab.Gitlab(settings.gitlab_url, private_token=settings.gitlab_token.reveal(), timeout=15)


@dataclass
class Integrations:
    """One client per configured service, shared: chats answer, forges deploy, readers brief the agent."""

    chats: dict[Platform, Chat]
    forges: dict[ForgeName, Forge]
    readers: dict[Platform, ConversationReader]
    trackers: dict[ForgeName, IssueTracker]
    rooms: Rooms | None = None
    thread_links: ThreadLinks | None = None  # `/ops todos` in a channel links its threads
    ci: dict[ForgeName, ForgeCi] = field(default_factory=dict)  # the agent's CI logs and compares
    home_tab: SlackHomeTab | None = None  # the Slack App Home
    modals: SlackModals | None = None  # the deploy form
    branches: dict[ForgeName, BranchLister] = field(default_factory=dict)  # what the deploy form offers
    github: GitHubConnector | None = None


def build_integrations(settings: Settings) -> Integrations:
    found = Integrations({}, {}, {}, {})
    if settings.slack_bot_token is not None:
        client = AsyncWebClient(token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url)
        slack = SlackChat(client, settings.slack_api_url)
        found.chats["slack"] = found.readers["slack"] = slack
        found.rooms = SlackRooms(client)
        found.thread_links = slack.permalink
        found.home_tab = SlackHomeTab(client)
        found.modals = SlackModals(client)
    if (connector := github_connector(settings)) is not None:
        found.github = connector
        github = GitHubChat(connector)
        found.chats["github"] = found.readers["github"] = github
        found.forges["github"] = found.branches["github"] = GitHubForge(connector)
        found.trackers["github"] = GitHubIssues(connector)
        found.ci["github"] = GitHubCi(connector)
    if (gitlab_api := gitlab_client(settings)) is not None:
        gitlab_chat = GitLabChat(gitlab_api)
        found.chats["gitlab"] = found.readers["gitlab"] = gitlab_chat
        found.forges["gitlab"] = found.branches["gitlab"] = GitLabForge(gitlab_api)
        found.trackers["gitlab"] = GitLabIssues(gitlab_api)
        found.ci["gitlab"] = GitLabCi(gitlab_api)
    return found


def github_hook_deliveries(settings: Settings, connector: GitHubConnector | None) -> GitHubHookDeliveries | None:
    """The webhook whose refused deliveries are asked for again after an outage, if recovery is on."""
    target, hook = settings.github_redelivery, settings.github_hook
    if target is None or connector is None:
        return None
    if target == "app":
        return GitHubHookDeliveries.of_app(connector)
    assert hook is not None  # "repo" and "org" come from a configured hook
    if hook.repo is not None:
        return GitHubHookDeliveries.of_repo(connector, hook.repo, hook.id)
    return GitHubHookDeliveries.of_org(connector, hook.org or "", hook.id)


def last_deploys(deploys: Deploys) -> LastDeploys:
    """The alerts feature's view of a service's newest deploy, to any of its environments."""

    async def newest(service: str) -> LastDeploy | None:
        try:
            found = await deploys.latest(service)
        except CommandError:
            return None  # not a configured service
        if not found:
            return None
        d = max(found, key=lambda each: each.created_at)
        return LastDeploy(d.service, d.environment, d.ref, d.sha, d.requester.ref, d.created_at, d.status)

    return newest


class AlertIncidents:
    """The alerts feature's view of incidents (features don't import each other)."""

    def __init__(self, incidents: Incidents, store: IncidentStore) -> None:
        self._incidents = incidents
        self._store = store

    async def declare(self, key: str, title: str, severity: int, alerted_in: Place) -> str | None:
        try:
            incident = await self._incidents.declare_for_alerts(key, title, severity, alerted_in)
        except CommandError as exc:  # no Slack rooms: the alert is still shown
            log.warning("no incident for an alert group", extra={"error": str(exc)})
            return None
        return incident.id

    async def news(self, incident_id: str, key: str, text: str) -> bool:
        return await self._incidents.alert_news(incident_id, key, text)

    async def all_resolved(self, incident_id: str, key: str) -> bool:
        return await self._incidents.alerts_all_resolved(incident_id, key)

    async def linked(self, incident_id: str) -> Sequence[str]:
        incident = await self._store.get(incident_id)
        return incident.alert_groups if incident is not None else ()


def claude_model(settings: Settings) -> ClaudeModel | None:
    """Claude for the Ops agent; None without a key, and free text is answered "not configured"."""
    if settings.anthropic_api_key is None:
        return None
    return ClaudeModel(settings.anthropic_api_key.reveal(), settings.anthropic_base_url, settings.model)


def declare_incident(incidents: Incidents) -> DeclareIncident:
    """The alerts feature's "Declare incident" button, carried out by the incidents feature."""

    async def declare(source_key: str, title: str, severity: int, alerted_in: SlackThread, by: str) -> str:
        incident = await incidents.declare_for_alerts(source_key, title, severity, alerted_in, by)
        return incident.id

    return declare


def build_runtime(
    settings: Settings,
    *,
    extra_chats: dict[Platform, Chat] | None = None,
    clock: Callable[[], float] = time.time,
    integrations: Integrations | None = None,
) -> Runtime:
    """``clock`` is when delayed jobs and incident reminders come due (tests move it). ``integrations``
    are the settings' own unless given (the console adds its rooms, and its sandbox forge)."""
    config = OpsConfig.load(settings.config_path)
    client, embedded = connect(settings.redis_url)
    queue = RedisJobQueue(client, embedded=embedded, clock=clock)
    integrations = integrations if integrations is not None else build_integrations(settings)
    marks = RedisMarks(client)
    hooks = github_hook_deliveries(settings, integrations.github)
    recovery, outages = None, None
    if hooks is not None:
        recovery = WebhookRecovery(
            hooks,
            RedisSeenEvents(client),
            marks,
            RedisMutexes(client, hold_for=PASS_TIME, wait_for=PASS_TIME / 5),
            clock,
            window=settings.github_redeliver_window,
        )
        outages = OutageWatch(partial(ping, client), queue, clock)
    audit = RedisAuditLog(client)
    chats, forges = integrations.chats, integrations.forges
    chats.update(extra_chats or {})
    # The stores, told when something a Slack Home shows changes.
    home = build_home(
        client, config, marks, queue, integrations.home_tab, integrations.thread_links, clock,
        refresh_delay=settings.home_refresh_delay,
    )  # fmt: skip
    locking = Locking(home.locks, audit, config, time.time)
    replies = Replies(marks)
    reporter = Reporter(chats, replies, marks)
    model = claude_model(settings)
    incident_services = IncidentServices(
        store=home.incidents,
        rooms=integrations.rooms,
        reporter=reporter,
        trackers=integrations.trackers,
        queue=queue,
        config=config,
        clock=clock,
        reviewer=IncidentWriter(model, settings.agent) if model is not None else None,
    )
    incidents = Incidents(incident_services)
    alert_store = RedisAlertGroupStore(client)
    incident_services.current_alerts = partial(current_alerts, alert_store)
    deploys = Deploys(config, forges, home.deployments, locking, audit, time.time)
    deploying = DeployCommands(deploys, home.approvals, reporter, audit, config, time.time, news=incidents.deploy_news)
    memories = MemoryCommands(Memories(RedisMemoryStore(client), time.time), forges, config, marks)
    todos = home.todos
    # The one command table: each feature's entries, bound to the service that carries them out.
    commands = CommandTable(
        settings.bot_name,
        Section(deploying, DEPLOY_COMMANDS),
        Section(Denials(deploys, home.approvals, reporter, config), DENY_COMMANDS),
        Section(LockCommands(locking, audit, deploying), LOCK_COMMANDS),
        Section(incidents, INCIDENT_COMMANDS),
        Section(memories, MEMORY_COMMANDS),
        Section(TodoCommands(todos, integrations.thread_links), TODO_COMMANDS),
    )
    board = TodoBoard(
        todos,
        TodoMirror(reporter, marks),
        reporter,
        integrations.trackers,
        forges,
        marks,
        RedisMutexes(client),
        config,
        incidents.tracking_place,
    )
    # The board mirrors to incidents' tracking issues and takes their follow-ups: wired once both exist.
    incident_services.follow_ups = board.post_incident
    stats = RedisJobStats(client)
    following = Following(marks)
    assistant: Assistant = UnconfiguredAssistant()
    if model is not None:
        agent_services = AgentServices(
            commands,
            deploys,
            memories,
            board,
            following,
            marks,
            incidents,
            forges,
            reporter=reporter,
            looks=build_looks(settings, config, integrations, deploys),
        )
        assistant = OpsAgent(
            model, agent_services, integrations.readers, config, stats, settings.agent, settings.bot_name,
            progress=ProgressBoard(chats, replies, settings.progress),
        )  # fmt: skip
    forms = None
    if integrations.modals is not None:
        forms = DeployForms(config, SlackDeployForm(integrations.modals), integrations.branches, commands, reporter)
    chatops = ChatOps(
        chats=chats,
        replies=replies,
        commands=commands,
        assistant=assistant,
        bot_name=settings.bot_name,
    )
    if home.homes is not None:  # a Home button is its clicker's command, run as typed
        home.homes.commands = chatops.respond
    alert_groups = AlertGroups(
        alert_store,
        reporter,
        RedisMutexes(client),
        config,
        last_deploys(deploys),
        clock,
        incidents=AlertIncidents(incidents, incident_services.store),
        silenceable=settings.alertmanager_url is not None,
    )
    return Runtime(
        settings=settings,
        config=config,
        redis=client,
        embedded=embedded,
        queue=queue,
        stats=stats,
        metrics=Metrics(),
        commands=commands,
        chatops=chatops,
        dispatcher=Dispatcher(
            chatops,
            deploying,
            board,
            incidents,
            alert_groups,
            AlertActions(
                alert_store,
                reporter,
                RedisMutexes(client),
                config,
                queue,
                AlertmanagerClient(settings.alertmanager_url, settings.alertmanager_token)
                if settings.alertmanager_url
                else None,
                declare_incident(incidents),
                last_deploy=alert_groups.last_deploy,
                reconcile_every=settings.alert_reconcile_every,
                clock=clock,
            ),
            home=home.homes,
            forms=forms,
            webhook_recovery=recovery,
        ),
        intake=Intake(queue, on_store_unavailable=outages.noticed if outages is not None else None),
        following=following,
        todos=board,
        incidents=incidents,
        model=model,
        outages=outages,
    )


def build_worker(runtime: Runtime) -> Worker:
    return Worker(runtime.queue, runtime.dispatcher, runtime.stats, runtime.settings.worker)


def recover_after_start(runtime: Runtime) -> None:
    """A worker is starting, perhaps after a crash that left webhooks refused: queue a recovery
    pass once the store answers (a pass that finds nothing to ask for costs one listing)."""
    if runtime.outages is not None:
        runtime.outages.noticed("a worker started")


def settle_heap() -> None:
    """Take start-up objects out of the garbage collector's sight.

    The imported libraries leave ~100k long-lived objects behind. Left in the
    collected generations, every full collection walks them all (50-100 ms at
    a time, measured under load), which is what a webhook's p99 latency then
    shows. Freezing them and collecting the young generation less eagerly
    removes those pauses; cyclic garbage made later is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def use_blocking_pool() -> None:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=BLOCKING_THREADS, thread_name_prefix="opsbot-blocking")
    )


def build_web_app(runtime: Runtime, *, run_worker: bool) -> tuple[Starlette, Health]:
    settings = runtime.settings
    health = Health(lambda: ping(runtime.redis), runtime.queue, runtime.stats.snapshot, runtime.metrics)
    slack = SlackEvents(
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_api_url,
        runtime.intake,
        runtime.metrics,
        runtime.commands,
        runtime.following,
    )
    github = GitHubWebhook(settings.github_webhook_secret, settings.bot_name, runtime.intake, runtime.metrics)
    gitlab_hook = GitLabWebhook(settings.gitlab_webhook_secret, settings.bot_name, runtime.intake, runtime.metrics)
    alertmanager = AlertmanagerWebhook(settings.alertmanager_webhook_token, runtime.intake, runtime.metrics)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        use_blocking_pool()
        stop = asyncio.Event()
        worker_task: asyncio.Task[None] | None = None
        if run_worker:
            worker_task = asyncio.create_task(build_worker(runtime).run(stop))
            recover_after_start(runtime)
        try:
            yield
        finally:
            # On SIGTERM uvicorn has closed its listener and finished the
            # requests in flight before this runs; now the worker drains. A
            # load balancer learns of the stop from its own probe failing
            # (Kubernetes: the preStop pause keeps serving until it has).
            stop.set()
            if worker_task is not None:
                await worker_task
            await runtime.close()

    routes = [
        Route("/slack/events", slack.handle, methods=["POST"]),
        Route("/github/webhook", github.handle, methods=["POST"]),
        Route("/gitlab/webhook", gitlab_hook.handle, methods=["POST"]),
        Route("/alertmanager/webhook", alertmanager.handle, methods=["POST"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", health.metrics, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan), health
