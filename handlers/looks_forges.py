"""``ci_logs`` and ``what_changed`` over the configured forges (GitHub Actions, GitLab CI, compare APIs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import OpsConfig
from bot.deploys.deploying import Deploys
from bot.investigation.looks import Look

if TYPE_CHECKING:
    from handlers.app import Integrations


def forge_looks(config: OpsConfig, integrations: Integrations, deploys: Deploys) -> list[Look]:
    return []
