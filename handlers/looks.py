"""The Ops agent's looks at the systems, built from what is configured: an unconfigured backend offers none.

:func:`availability` is the one rule for which looks are on; ``opsbot check-config`` prints it and
:func:`build_looks` keeps only the looks it allows, so the two can't disagree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import OpsConfig
from bot.deploys.deploying import Deploys
from bot.investigation.looks import LOOK_ORDER, Look, ordered
from bot.settings import Settings
from handlers.looks_cluster import cluster_looks
from handlers.looks_forges import forge_looks
from handlers.looks_metrics import metrics_looks

if TYPE_CHECKING:
    from handlers.app import Integrations

SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


def kubernetes_config(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """Where the Kubernetes client's config comes from, in words, or None when there is none."""
    env = os.environ if env is None else env
    if env.get("KUBERNETES_SERVICE_HOST") and SERVICE_ACCOUNT_TOKEN.is_file():
        return "in-cluster service account"
    for candidate in (settings.kubeconfig or "").split(os.pathsep):
        if candidate and Path(candidate).expanduser().is_file():
            return f"kubeconfig {candidate}"
    if not settings.kubeconfig and (default := Path("~/.kube/config").expanduser()).is_file():
        return f"kubeconfig {default}"
    return None


def availability(settings: Settings, config: OpsConfig) -> dict[str, str | None]:
    """Each look's name and why it is off (None: on)."""
    forge_on = settings.github_credentials is not None or settings.gitlab_token is not None
    workloads = sum(len(service.kubernetes) for service in config.services.values())
    if not workloads:
        cluster_off: str | None = "no service in ops.yaml names a kubernetes: workload"
    elif kubernetes_config(settings) is None:
        cluster_off = "no in-cluster service account and no kubeconfig (KUBECONFIG, ~/.kube/config)"
    else:
        cluster_off = None
    return {
        "query_metrics": None if settings.prometheus_url else "PROMETHEUS_URL is not set",
        "list_alerts": None if settings.alertmanager_url else "ALERTMANAGER_URL is not set",
        "ci_logs": None if forge_on else "no GitHub or GitLab credentials",
        "what_changed": None
        if forge_on and config.services
        else ("no GitHub or GitLab credentials" if not forge_on else "ops.yaml names no services"),
        "cluster_status": cluster_off,
    }


def tools_report(settings: Settings, config: OpsConfig) -> list[str]:
    """``check-config``'s lines about the agent's looks: which are on, and why the others are off."""
    found = availability(settings, config)
    on = [name for name in LOOK_ORDER if found[name] is None]
    lines = [f"agent tools on: {', '.join(on) or 'none of the looks at the systems'}"]
    lines += [f"  {name}: off ({why})" for name in LOOK_ORDER if (why := found[name]) is not None]
    return lines


def build_looks(
    settings: Settings, config: OpsConfig, integrations: Integrations, deploys: Deploys
) -> tuple[Look, ...]:
    """Every configured look, in the contract's order (part of the cached prompt prefix)."""
    allowed = availability(settings, config)
    built = [
        *metrics_looks(settings, config),
        *forge_looks(config, integrations, deploys),
        *cluster_looks(settings, config),
    ]
    return ordered([look for look in built if allowed.get(look.spec.name, "unknown") is None])
