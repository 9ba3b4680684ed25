"""``ci_logs`` and ``what_changed`` over the configured forges (GitHub Actions, GitLab CI, compare APIs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import OpsConfig
from bot.deploys.deploying import Deploys
from bot.investigation.ci_logs import CiLogs
from bot.investigation.looks import Look
from bot.investigation.what_changed import HISTORY, DeployHistory, DeployPoint, WhatChanged

if TYPE_CHECKING:
    from handlers.app import Integrations


def deploy_history(deploys: Deploys) -> DeployHistory:
    """The investigation's view of opsbot's deploy records: the successful ones."""

    class History:
        async def successful(self, service: str, environment: str, limit: int) -> list[DeployPoint]:
            found = await deploys.history(service, environment, max(limit, HISTORY))
            return [
                DeployPoint(d.sha, d.ref, d.created_at, d.requester.handle) for d in found if d.status == "success"
            ][:limit]

    return History()


def forge_looks(config: OpsConfig, integrations: Integrations, deploys: Deploys) -> list[Look]:
    """``ci_logs`` wherever a forge is configured (a PR thread needs no service); ``what_changed``
    when ops.yaml also has a service on one of them."""
    ci = dict(integrations.ci)
    if not ci:
        return []
    looks: list[Look] = [CiLogs(config, ci)]
    on_a_forge = any(("github" if s.github else "gitlab") in ci for s in config.services.values())
    if on_a_forge:
        looks.append(WhatChanged(config, ci, deploy_history(deploys)))
    return looks
