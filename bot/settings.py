"""One typed settings object, read once from the environment at start-up.

The variable names are part of the outside contract (see the README); adding
is fine, renaming is not. Integrations switch on only when every secret they
need is present, so a missing secret closes the door instead of opening it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.secrets import Secret
from bot.store_url import url_problem

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_GITLAB_URL = "https://gitlab.com"
DEFAULT_MODEL = "claude-sonnet-5-5"  # Claude Sonnet 5.5, the current Sonnet
DEFAULT_CONFIG_FILE = "ops.yaml"


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _endpoint(env: Mapping[str, str], name: str, problems: list[str]) -> tuple[str | None, Secret | None]:
    """``<name>_URL`` (an http(s) base, without its trailing slash) and its optional ``<name>_TOKEN``."""
    url = _text(env, f"{name}_URL")
    if url is not None:
        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            problems.append(f"{name}_URL must be an http:// or https:// URL, got {url!r}")
    token = _secret(env, f"{name}_TOKEN")
    if token is not None and url is None:
        problems.append(f"{name}_TOKEN is set but {name}_URL is not")
    return url, token


def _number(
    env: Mapping[str, str], name: str, default: float, problems: list[str], *, zero_allowed: bool = False
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number, got {raw!r}")
        return default
    if value < 0 or (value == 0 and not zero_allowed):
        problems.append(f"{name} must be {'0 or more' if zero_allowed else 'greater than 0'}, got {raw!r}")
        return default
    return value


@dataclass(frozen=True)
class WorkerTuning:
    """How a worker takes and retries jobs; the defaults suit production."""

    concurrency: int = 16
    take_wait: float = 1.0  # seconds one take may block for jobs; bounds how fast a stop is noticed
    reclaim_after: float = 60.0  # seconds a job may go without a heartbeat before another worker takes it
    max_attempts: int = 5
    retry_base_delay: float = 2.0
    retry_max_delay: float = 60.0
    # How soon a worker asks the store again when it didn't answer (a Redis restart, a
    # failover): to record a job's outcome, to take jobs, to send heartbeats. Short, so the
    # jobs of a one-second blip are settled a moment after Redis is back.
    store_retry_base_delay: float = 0.2
    store_retry_max_delay: float = 2.0
    # Seconds in-flight jobs get to finish after SIGTERM before they are handed
    # back to the queue; keep it under the orchestrator's termination grace.
    stop_grace: float = 20.0


@dataclass(frozen=True)
class AgentLimits:
    """Hard limits on one Ops agent task, enforced by opsbot rather than asked of the model."""

    max_turns: int = 10  # model requests per task
    max_output_tokens: int = 4_096  # per model request
    max_task_output_tokens: int = 16_000  # over the whole task
    wall_time: float = 120.0  # seconds for the whole task, retries included
    attempts: int = 3  # tries of one model request on 429, 529, 5xx and timeouts
    retry_base_delay: float = 2.0
    retry_max_delay: float = 30.0


@dataclass(frozen=True)
class ProgressPacing:
    """Seconds between two edits of one task's progress message, per platform.

    Slack's chat.update is a Tier 3 method (about 50 a minute per workspace); GitHub's
    secondary rate limits allow about 80 content-creating requests a minute (edits
    count) and 500 an hour, and GitLab.com throttles note writes alike. One edit a second
    on Slack and one every three seconds on a forge leaves room for many tasks at once."""

    slack: float = 1.0
    forge: float = 3.0

    def interval(self, platform: str) -> float:
        if platform == "console":
            return 0.0  # a terminal prints every step as it comes
        return self.slack if platform == "slack" else self.forge


@dataclass(frozen=True)
class HttpLimits:
    """How long one HTTP client may take and how many may be connected to one
    `opsbot serve` process; a proxy in front adds its own limits."""

    header_timeout: float = 10.0  # seconds from connecting (or a request's first byte) to its complete head
    body_timeout: float = 30.0  # seconds from the head to the complete body (1 MiB at most)
    max_connections: int = 500  # open at once; more are answered 503 and closed


@dataclass(frozen=True)
class GitHubHook:
    """A repository (``owner/name``) or organisation webhook, by its id."""

    id: int
    repo: str | None = None
    org: str | None = None


def _github_hook(env: Mapping[str, str], problems: list[str]) -> GitHubHook | None:
    raw_id = _text(env, "GITHUB_WEBHOOK_HOOK_ID")
    repo = _text(env, "GITHUB_WEBHOOK_HOOK_REPO")
    org = _text(env, "GITHUB_WEBHOOK_HOOK_ORG")
    if raw_id is None:
        if repo or org:
            problems.append("GITHUB_WEBHOOK_HOOK_REPO and GITHUB_WEBHOOK_HOOK_ORG need GITHUB_WEBHOOK_HOOK_ID")
        return None
    if not raw_id.isdigit():
        problems.append(f"GITHUB_WEBHOOK_HOOK_ID must be the webhook's numeric id, got {raw_id!r}")
        return None
    if (repo is None) == (org is None):
        problems.append("GITHUB_WEBHOOK_HOOK_ID needs one of GITHUB_WEBHOOK_HOOK_REPO (owner/name) or _ORG")
        return None
    if repo is not None and (repo.count("/") != 1 or not all(repo.split("/"))):
        problems.append(f"GITHUB_WEBHOOK_HOOK_REPO must be owner/name, got {repo!r}")
        return None
    return GitHubHook(int(raw_id), repo=repo, org=org)


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    config_path: Path | None
    bot_name: str
    slack_bot_token: Secret | None
    slack_signing_secret: Secret | None
    slack_api_url: str
    github_token: Secret | None
    github_app_id: str | None
    github_app_private_key: Secret | None
    github_webhook_secret: Secret | None
    github_api_url: str
    gitlab_token: Secret | None
    gitlab_webhook_secret: Secret | None
    gitlab_url: str
    anthropic_api_key: Secret | None
    anthropic_base_url: str | None
    model: str
    worker: WorkerTuning
    agent: AgentLimits = AgentLimits()
    github_write_interval: float | None = 1.0
    log_level: str = "INFO"
    http: HttpLimits = HttpLimits()
    progress: ProgressPacing = ProgressPacing()
    # The bearer token Alertmanager's (or Grafana's) webhook sends; the endpoint is off without it.
    alertmanager_webhook_token: Secret | None = None
    # Alertmanager's base URL, as its UI answers; opsbot adds /api/v2/... (silences, the agent's list_alerts).
    alertmanager_url: str | None = None
    alertmanager_token: Secret | None = None  # bearer, for an Alertmanager behind an authenticating proxy
    prometheus_url: str | None = None  # the agent's query_metrics; /api/v1/... is appended
    prometheus_token: Secret | None = None
    kubeconfig: str | None = None  # KUBECONFIG; the agent's cluster_status also works in-cluster
    # Seconds between looks at a group silenced from Slack (Alertmanager notifies nothing while silenced).
    alert_reconcile_every: float = 180.0
    # Seconds a refresh of the Slack Homes waits for the rest of a burst of changes (one refresh per burst).
    home_refresh_delay: float = 3.0
    # A repository or organisation webhook whose refused deliveries are asked for again after an
    # outage (GITHUB_WEBHOOK_HOOK_ID with _REPO or _ORG); without it, the App's own webhook.
    github_hook: GitHubHook | None = None
    github_redeliver_window: float = 3 * 3600.0  # seconds back a recovery pass looks; 0 turns it off

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def github_webhook_enabled(self) -> bool:
        return self.github_webhook_secret is not None

    @property
    def github_credentials(self) -> str | None:
        """Which GitHub credential is configured: "token", "app" or None."""
        if self.github_token is not None:
            return "token"
        if self.github_app_id and self.github_app_private_key is not None:
            return "app"
        return None

    @property
    def github_redelivery(self) -> str | None:
        """Whose refused deliveries opsbot asks GitHub for again after an outage: "repo" or "org"
        (a configured hook, read with the token), "app" (the App's own), or None (off)."""
        if not self.github_webhook_enabled or self.github_redeliver_window == 0:
            return None
        if self.github_hook is not None:
            return "repo" if self.github_hook.repo else "org"
        if self.github_app_id and self.github_app_private_key is not None:
            return "app"
        return None

    @property
    def gitlab_webhook_enabled(self) -> bool:
        return self.gitlab_webhook_secret is not None

    @property
    def alertmanager_webhook_enabled(self) -> bool:
        return self.alertmanager_webhook_token is not None

    @property
    def assistant_enabled(self) -> bool:
        return self.anthropic_api_key is not None

    def secrets(self) -> list[Secret]:
        """Every configured credential, so log output can be scrubbed of them."""
        candidates = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.github_token,
            self.github_app_private_key,
            self.github_webhook_secret,
            self.gitlab_token,
            self.gitlab_webhook_secret,
            self.alertmanager_webhook_token,
            self.anthropic_api_key,
            self.alertmanager_token,
            self.prometheus_token,
        )
        return [s for s in candidates if s is not None]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raise ConfigError naming every problem at once."""
        env = os.environ if env is None else env
        problems: list[str] = []

        config_path: Path | None
        if explicit := _text(env, "OPSBOT_CONFIG"):
            config_path = Path(explicit)
            if not config_path.is_file():
                problems.append(f"OPSBOT_CONFIG points to {explicit}, which is not a file")
        else:
            default = Path(DEFAULT_CONFIG_FILE)
            config_path = default if default.is_file() else None

        bot_name = (_text(env, "OPSBOT_BOT_NAME", "opsbot") or "opsbot").lstrip("@")
        if not bot_name.replace("-", "").replace("_", "").isalnum():
            problems.append(f"OPSBOT_BOT_NAME must be a plain handle like 'opsbot', got {bot_name!r}")

        slack_token = _secret(env, "SLACK_BOT_TOKEN")
        slack_secret = _secret(env, "SLACK_SIGNING_SECRET")
        if (slack_token is None) != (slack_secret is None):
            missing = "SLACK_SIGNING_SECRET" if slack_secret is None else "SLACK_BOT_TOKEN"
            problems.append(f"Slack needs both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; {missing} is missing")

        app_id = _text(env, "GITHUB_APP_ID")
        app_key = _secret(env, "GITHUB_APP_PRIVATE_KEY")
        if app_key is not None and "\n" not in app_key.reveal() and "\\n" in app_key.reveal():
            # .env files and Kubernetes literals often carry the PEM on one line.
            app_key = Secret(app_key.reveal().replace("\\n", "\n"))
        if app_id is not None and not app_id.isdigit():
            problems.append(f"GITHUB_APP_ID must be the App's numeric id, got {app_id!r}")
        if (app_id is None) != (app_key is None):
            problems.append("a GitHub App needs both GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")

        redis_url = _text(env, "REDIS_URL")
        if redis_url and (problem := url_problem(redis_url)):
            problems.append(problem)

        tuning = WorkerTuning(
            concurrency=int(_number(env, "OPSBOT_WORKER_CONCURRENCY", 16, problems)),
            reclaim_after=_number(env, "OPSBOT_RECLAIM_AFTER", 60.0, problems),
            max_attempts=int(_number(env, "OPSBOT_MAX_ATTEMPTS", 5, problems)),
            retry_base_delay=_number(env, "OPSBOT_RETRY_BASE_DELAY", 2.0, problems),
            retry_max_delay=_number(env, "OPSBOT_RETRY_MAX_DELAY", 60.0, problems),
            store_retry_base_delay=_number(env, "OPSBOT_STORE_RETRY_BASE_DELAY", 0.2, problems),
            store_retry_max_delay=_number(env, "OPSBOT_STORE_RETRY_MAX_DELAY", 2.0, problems),
            stop_grace=_number(env, "OPSBOT_STOP_GRACE", 20.0, problems),
        )

        agent = AgentLimits(
            max_turns=int(_number(env, "OPSBOT_AGENT_MAX_TURNS", 10, problems)),
            max_output_tokens=int(_number(env, "OPSBOT_AGENT_MAX_TOKENS", 4_096, problems)),
            max_task_output_tokens=int(_number(env, "OPSBOT_AGENT_TASK_TOKENS", 16_000, problems)),
            wall_time=_number(env, "OPSBOT_AGENT_TIMEOUT", 120.0, problems),
            attempts=int(_number(env, "OPSBOT_AGENT_ATTEMPTS", 3, problems)),
            retry_base_delay=_number(env, "OPSBOT_AGENT_RETRY_BASE_DELAY", 2.0, problems),
            retry_max_delay=_number(env, "OPSBOT_AGENT_RETRY_MAX_DELAY", 30.0, problems),
        )

        progress = ProgressPacing(
            # 0: every step is shown as it comes (tests, a console, a self-hosted forge without limits).
            slack=_number(env, "OPSBOT_PROGRESS_SLACK_INTERVAL", 1.0, problems, zero_allowed=True),
            forge=_number(env, "OPSBOT_PROGRESS_FORGE_INTERVAL", 3.0, problems, zero_allowed=True),
        )

        http = HttpLimits(
            header_timeout=_number(env, "OPSBOT_HTTP_HEADER_TIMEOUT", 10.0, problems),
            body_timeout=_number(env, "OPSBOT_HTTP_BODY_TIMEOUT", 30.0, problems),
            max_connections=int(_number(env, "OPSBOT_HTTP_MAX_CONNECTIONS", 500, problems)),
        )

        # GitHub asks integrations to leave about a second between writes;
        # 0 switches the spacing off (tests, GitHub Enterprise without limits).
        write_interval: float | None = 1.0
        raw_interval = env.get("OPSBOT_GITHUB_WRITE_INTERVAL", "").strip()
        if raw_interval in ("0", "0.0"):
            write_interval = None
        elif raw_interval:
            write_interval = _number(env, "OPSBOT_GITHUB_WRITE_INTERVAL", 1.0, problems)

        github_hook = _github_hook(env, problems)
        if github_hook is not None and _secret(env, "GITHUB_TOKEN") is None:
            problems.append(
                "GITHUB_WEBHOOK_HOOK_ID needs GITHUB_TOKEN: a repository or organisation webhook is read with it"
            )
        redeliver_window = _number(env, "OPSBOT_GITHUB_REDELIVER_WINDOW", 3 * 3600.0, problems, zero_allowed=True)

        alertmanager_url, alertmanager_token = _endpoint(env, "ALERTMANAGER", problems)
        prometheus_url, prometheus_token = _endpoint(env, "PROMETHEUS", problems)
        kubeconfig = _text(env, "KUBECONFIG")

        home_refresh_delay = _number(env, "OPSBOT_HOME_REFRESH_DELAY", 3.0, problems)

        log_level = (_text(env, "OPSBOT_LOG_LEVEL", "INFO") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"OPSBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

        if problems:
            raise ConfigError(problems)
        return cls(
            redis_url=redis_url,
            config_path=config_path,
            bot_name=bot_name,
            slack_bot_token=slack_token,
            slack_signing_secret=slack_secret,
            slack_api_url=_text(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL,
            github_token=_secret(env, "GITHUB_TOKEN"),
            github_app_id=app_id,
            github_app_private_key=app_key,
            github_webhook_secret=_secret(env, "GITHUB_WEBHOOK_SECRET"),
            github_api_url=(_text(env, "GITHUB_API_URL", DEFAULT_GITHUB_API_URL) or DEFAULT_GITHUB_API_URL).rstrip("/"),
            gitlab_token=_secret(env, "GITLAB_TOKEN"),
            gitlab_webhook_secret=_secret(env, "GITLAB_WEBHOOK_SECRET"),
            gitlab_url=(_text(env, "GITLAB_URL", DEFAULT_GITLAB_URL) or DEFAULT_GITLAB_URL).rstrip("/"),
            anthropic_api_key=_secret(env, "ANTHROPIC_API_KEY"),
            anthropic_base_url=_text(env, "ANTHROPIC_BASE_URL"),
            model=_text(env, "OPSBOT_MODEL", DEFAULT_MODEL) or DEFAULT_MODEL,
            worker=tuning,
            agent=agent,
            progress=progress,
            github_write_interval=write_interval,
            log_level=log_level,
            http=http,
            alertmanager_webhook_token=_secret(env, "ALERTMANAGER_WEBHOOK_TOKEN"),
            alertmanager_url=alertmanager_url,
            alertmanager_token=alertmanager_token,
            prometheus_url=prometheus_url,
            prometheus_token=prometheus_token,
            kubeconfig=kubeconfig,
            home_refresh_delay=home_refresh_delay,
            github_hook=github_hook,
            github_redeliver_window=redeliver_window,
        )
