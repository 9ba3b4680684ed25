"""The ops config (``ops.yaml``): services, environments, todos and incidents.

Parsed once at start-up into frozen values. Every problem is collected and
reported together, so ``opsbot check-config`` can list them all in one go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from bot.commands.names import is_name
from bot.errors import ConfigError

PERSON = re.compile(r"^([UW][A-Z0-9_]+|github:[A-Za-z0-9-]+|gitlab:[A-Za-z0-9_.-]+)$")
PROJECT = re.compile(r"^([A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]+$|^\d+$")

TodoMirror = Literal["checklist", "issues"]
AgentAllow = Literal["collaborators", "anyone"] | tuple[str, ...]
# Repositories that may name their forge ("gitlab:group/ops"); bare, GitHub is used if configured.
ONE_OF_EITHER_FORGE = ("todos.repo", "incidents.tracking_repo")
DEFAULT_MAX_TODO_ISSUES = 10  # agent.max_todo_issues
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9_]+$")
ALERTS_KEYS = frozenset({"routes", "default_channel", "incident_severities", "silencers", "service_label"})
ROUTE_KEYS = frozenset({"match", "channel"})
DEFAULT_INCIDENT_SEVERITIES = ("critical",)
DEFAULT_SERVICE_LABEL = "service"
# A Prometheus label name, and a Kubernetes namespace / object name (RFC 1123 labels and subdomains).
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KUBERNETES_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
KUBERNETES_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
WORKLOAD_KEYS = frozenset({"namespace", "deployment"})


@dataclass(frozen=True)
class Workload:
    """Where a service runs in one environment: a Kubernetes Deployment in a namespace."""

    namespace: str
    deployment: str


@dataclass(frozen=True)
class Service:
    name: str
    environments: tuple[str, ...]
    github: str | None = None
    gitlab: str | None = None
    # Label matchers the agent's metric queries start from; empty: {service: <name>}.
    metric_labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes: Mapping[str, Workload] = field(default_factory=dict)  # per environment

    @property
    def metrics(self) -> Mapping[str, str]:
        return self.metric_labels or {"service": self.name}


@dataclass(frozen=True)
class Environment:
    name: str
    protected: bool = False
    deployers: tuple[str, ...] | None = None  # None: anyone allowed on the repository
    approvers: tuple[str, ...] = ()

    # The two rules every check of this environment reads (deploying, locking, approving, and
    # `help` deciding what to list), so they are written once. People are named by handle.
    def may_deploy(self, handle: str) -> bool:
        return self.deployers is None or handle in self.deployers

    def may_approve(self, handle: str) -> bool:
        return handle in self.approvers


@dataclass(frozen=True)
class AlertRoute:
    """Alerts whose labels include every ``match`` pair go to ``channel``."""

    match: Mapping[str, str]
    channel: str


@dataclass(frozen=True)
class AlertsConfig:
    routes: tuple[AlertRoute, ...] = ()  # first match wins
    default_channel: str | None = None  # None: an alert no route matches is dropped (and logged)
    incident_severities: tuple[str, ...] = DEFAULT_INCIDENT_SEVERITIES
    silencers: tuple[str, ...] | None = None  # None: the deployers and approvers
    service_label: str = DEFAULT_SERVICE_LABEL  # the label naming a service of ``services``


@dataclass(frozen=True)
class OpsConfig:
    services: Mapping[str, Service] = field(default_factory=dict)
    environments: Mapping[str, Environment] = field(default_factory=dict)
    todo_mirror: TodoMirror = "checklist"
    todo_repo: str | None = None
    incident_repo: str | None = None
    # Who may start Ops agent tasks on the forges: "collaborators" (write on GitHub, Developer or
    # more on GitLab), "anyone", or a list of github:login / gitlab:user.
    agent_allow: AgentAllow = "collaborators"
    # In ``issues`` mode, how many todo issues one conversation's list may open; the rest stay in the list.
    max_todo_issues: int = DEFAULT_MAX_TODO_ISSUES
    # Who may teach team-wide and service memories from Slack; None: the deployers and approvers.
    memory_writers: tuple[str, ...] | None = None
    alerts: AlertsConfig = AlertsConfig()

    @property
    def silencers(self) -> frozenset[str]:
        """``alerts.silencers``, or when absent everyone listed as a deployer or approver."""
        if self.alerts.silencers is not None:
            return frozenset(self.alerts.silencers)
        return self._deployers_and_approvers()

    def _deployers_and_approvers(self) -> frozenset[str]:
        return frozenset(p for e in self.environments.values() for p in (*(e.deployers or ()), *e.approvers))

    @property
    def writers(self) -> frozenset[str]:
        """``memory.writers``, or when absent everyone listed as a deployer or approver."""
        if self.memory_writers is not None:
            return frozenset(self.memory_writers)
        return self._deployers_and_approvers()

    @classmethod
    def load(cls, path: Path | None) -> OpsConfig:
        if path is None:
            return cls()
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError([f"{path}: cannot be read as YAML ({exc.__class__.__name__})"]) from exc
        return cls.parse(raw if raw is not None else {}, source=str(path))

    @classmethod
    def parse(cls, raw: object, *, source: str = "ops.yaml") -> OpsConfig:
        problems: list[str] = []
        if not isinstance(raw, dict):
            raise ConfigError([f"{source}: the top level must be a mapping"])

        environments = _environments(raw.get("environments") or {}, source, problems)
        services = _services(raw.get("services") or {}, environments, source, problems)

        todos = raw.get("todos") or {}
        mirror = todos.get("mirror", "checklist") if isinstance(todos, dict) else "checklist"
        if mirror not in ("checklist", "issues"):
            problems.append(f"{source}: todos.mirror must be 'checklist' or 'issues', got {mirror!r}")
        todo_mirror: TodoMirror = "issues" if mirror == "issues" else "checklist"
        todo_repo = _repo(todos.get("repo") if isinstance(todos, dict) else None, "todos.repo", source, problems)
        incidents = raw.get("incidents") or {}
        incident_repo = _repo(
            incidents.get("tracking_repo") if isinstance(incidents, dict) else None,
            "incidents.tracking_repo",
            source,
            problems,
        )
        agent_allow = _agent_allow(raw.get("agent") or {}, source, problems)
        max_todo_issues = _max_todo_issues(raw.get("agent") or {}, source, problems)
        memory_writers = _memory_writers(raw.get("memory") or {}, source, problems)
        alerts = _alerts(raw.get("alerts") or {}, source, problems)
        if problems:
            raise ConfigError(problems)
        return cls(
            services=services,
            environments=environments,
            todo_mirror=todo_mirror,
            todo_repo=todo_repo,
            incident_repo=incident_repo,
            agent_allow=agent_allow,
            max_todo_issues=max_todo_issues,
            memory_writers=memory_writers,
            alerts=alerts,
        )


def _alerts(raw: object, source: str, problems: list[str]) -> AlertsConfig:
    where = f"{source}: alerts"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a mapping")
        return AlertsConfig()
    for unknown in sorted(str(k) for k in raw if k not in ALERTS_KEYS):
        problems.append(f"{where}: unknown key {unknown!r} (known: {', '.join(sorted(ALERTS_KEYS))})")
    routes_raw = raw.get("routes") or []
    routes: list[AlertRoute] = []
    if not isinstance(routes_raw, list):
        problems.append(f"{where}.routes must be a list")
        routes_raw = []
    for number, spec in enumerate(routes_raw, 1):
        route = _alert_route(spec, f"{where}.routes[{number}]", problems)
        if route is not None:
            routes.append(route)
    default = raw.get("default_channel")
    if default is not None and not _is_channel(default):
        problems.append(f"{where}.default_channel must be a Slack channel id (C…), got {default!r}")
        default = None
    severities = raw.get("incident_severities", list(DEFAULT_INCIDENT_SEVERITIES))
    if not isinstance(severities, list) or not all(isinstance(s, str) and s for s in severities):
        problems.append(f"{where}.incident_severities must be a list of severity names")
        severities = list(DEFAULT_INCIDENT_SEVERITIES)
    silencers = _people(raw["silencers"], f"{where}.silencers", problems) if "silencers" in raw else None
    label = raw.get("service_label", DEFAULT_SERVICE_LABEL)
    if not isinstance(label, str) or not label:
        problems.append(f"{where}.service_label must be a label name, got {label!r}")
        label = DEFAULT_SERVICE_LABEL
    return AlertsConfig(
        routes=tuple(routes),
        default_channel=default,
        incident_severities=tuple(severities),
        silencers=silencers,
        service_label=label,
    )


def _is_channel(value: object) -> bool:
    return isinstance(value, str) and SLACK_CHANNEL_ID.match(value) is not None


def _alert_route(spec: object, where: str, problems: list[str]) -> AlertRoute | None:
    if not isinstance(spec, dict):
        problems.append(f"{where} must be a mapping with match: and channel:")
        return None
    for unknown in sorted(str(k) for k in spec if k not in ROUTE_KEYS):
        problems.append(f"{where}: unknown key {unknown!r} (known: channel, match)")
    match, channel = spec.get("match"), spec.get("channel")
    ok = True
    if not isinstance(match, dict) or not match:
        problems.append(f"{where}.match must be a non-empty mapping of label: value")
        ok = False
    elif not all(isinstance(k, str) and isinstance(v, str) for k, v in match.items()):
        problems.append(f"{where}.match: labels and values must be strings (quote numbers and true/false)")
        ok = False
    if not _is_channel(channel):
        problems.append(f"{where}.channel must be a Slack channel id (C…), got {channel!r}")
        ok = False
    return AlertRoute(dict(match), str(channel)) if ok and isinstance(match, dict) else None


def _memory_writers(raw: object, source: str, problems: list[str]) -> tuple[str, ...] | None:
    if not isinstance(raw, dict):
        problems.append(f"{source}: memory must be a mapping")
        return None
    if "writers" not in raw:
        return None
    return _people(raw["writers"], f"{source}: memory.writers", problems)


def _agent_allow(raw: object, source: str, problems: list[str]) -> AgentAllow:
    if not isinstance(raw, dict):
        problems.append(f"{source}: agent must be a mapping")
        return "collaborators"
    allow = raw.get("allow", "collaborators")
    if allow in ("collaborators", "anyone"):
        return "anyone" if allow == "anyone" else "collaborators"
    if isinstance(allow, list):
        people = _people(allow, f"{source}: agent.allow", problems)
        for person in people:
            if not person.startswith(("github:", "gitlab:")):
                problems.append(f"{source}: agent.allow: {person!r} is not github:LOGIN or gitlab:USERNAME")
        return people
    problems.append(f"{source}: agent.allow must be 'collaborators', 'anyone' or a list of people, got {allow!r}")
    return "collaborators"


def _max_todo_issues(raw: object, source: str, problems: list[str]) -> int:
    found = raw.get("max_todo_issues", DEFAULT_MAX_TODO_ISSUES) if isinstance(raw, dict) else DEFAULT_MAX_TODO_ISSUES
    # YAML's true is an int to Python: a flag is not a count.
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        problems.append(f"{source}: agent.max_todo_issues must be a positive whole number, got {found!r}")
        return DEFAULT_MAX_TODO_ISSUES
    return found


def _people(value: object, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.append(f"{where} must be a list")
        return ()
    people = tuple(str(p) for p in value)
    for person in people:
        if not PERSON.match(person):
            problems.append(f"{where}: {person!r} is not a Slack user id (U…), github:LOGIN or gitlab:USERNAME")
    return people


def _environments(raw: object, source: str, problems: list[str]) -> dict[str, Environment]:
    if not isinstance(raw, dict):
        problems.append(f"{source}: environments must be a mapping")
        return {}
    result: dict[str, Environment] = {}
    for name, spec in raw.items():
        name = str(name)
        where = f"{source}: environments.{name}"
        if not is_name(name):
            problems.append(f"{where}: the name may use letters, digits, '.', '_' and '-' only")
            continue
        spec = spec or {}
        if not isinstance(spec, dict):
            problems.append(f"{where} must be a mapping")
            continue
        deployers = _people(spec["deployers"], f"{where}.deployers", problems) if "deployers" in spec else None
        approvers = _people(spec.get("approvers") or [], f"{where}.approvers", problems)
        protected = bool(spec.get("protected", False))
        if protected and not approvers:
            problems.append(f"{where} is protected but lists no approvers, so nobody could approve a deploy")
        result[name] = Environment(name, protected, deployers, approvers)
    return result


def _services(
    raw: object, environments: Mapping[str, Environment], source: str, problems: list[str]
) -> dict[str, Service]:
    if not isinstance(raw, dict):
        problems.append(f"{source}: services must be a mapping")
        return {}
    result: dict[str, Service] = {}
    for name, spec in raw.items():
        name = str(name)
        where = f"{source}: services.{name}"
        if not is_name(name):
            problems.append(f"{where}: the name may use letters, digits, '.', '_' and '-' only")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{where} must be a mapping")
            continue
        github = _repo(spec.get("github"), f"services.{name}.github", source, problems)
        gitlab = _repo(spec.get("gitlab"), f"services.{name}.gitlab", source, problems)
        if (github is None) == (gitlab is None):
            problems.append(f"{where} needs exactly one of github: or gitlab:")
        envs = spec.get("environments") or []
        if not isinstance(envs, list) or not envs:
            problems.append(f"{where}.environments must be a non-empty list")
            envs = []
        for env in envs:
            if str(env) not in environments:
                problems.append(f"{where}: environment {env!r} is not defined under environments")
        result[name] = Service(
            name,
            tuple(str(e) for e in envs),
            github,
            gitlab,
            _metric_labels(spec.get("metrics"), where, problems),
            _workloads(spec.get("kubernetes"), tuple(str(e) for e in envs), where, problems),
        )
    return result


def _metric_labels(raw: object, where: str, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}.metrics must be a non-empty mapping of label: value")
        return {}
    labels: dict[str, str] = {}
    for label, value in raw.items():
        if not LABEL_NAME.match(str(label)) or not isinstance(value, str | int) or isinstance(value, bool):
            problems.append(f"{where}.metrics: {label!r}: {value!r} is not a Prometheus label and value")
            continue
        labels[str(label)] = str(value)
    return labels


def _workloads(raw: object, environments: tuple[str, ...], where: str, problems: list[str]) -> dict[str, Workload]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}.kubernetes must map environments to {{namespace, deployment}}")
        return {}
    found: dict[str, Workload] = {}
    for env, spec in raw.items():
        at = f"{where}.kubernetes.{env}"
        if str(env) not in environments:
            problems.append(f"{at}: {env!r} is not one of the service's environments")
            continue
        if not isinstance(spec, dict) or set(spec) != WORKLOAD_KEYS:
            problems.append(f"{at} needs exactly namespace: and deployment:")
            continue
        namespace, deployment = str(spec["namespace"]), str(spec["deployment"])
        if not (KUBERNETES_NAMESPACE.match(namespace) and KUBERNETES_NAME.match(deployment)):
            problems.append(f"{at}: {namespace!r}/{deployment!r} are not Kubernetes names")
            continue
        found[str(env)] = Workload(namespace, deployment)
    return found


def _repo(value: object, key: str, source: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    text = str(value)
    bare = text.removeprefix("github:").removeprefix("gitlab:") if key in ONE_OF_EITHER_FORGE else text
    if not PROJECT.match(bare) or ".." in text:
        problems.append(f"{source}: {key} must look like owner/name, got {text!r}")
        return None
    return text
