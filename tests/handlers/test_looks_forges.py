"""ci_logs and what_changed are offered only when a forge is configured (and a service is on it)."""

from __future__ import annotations

from typing import Any

from bot.config import OpsConfig
from bot.deploys.deploying import Deploys
from handlers.app import Integrations
from handlers.looks_forges import forge_looks
from tests.bot.investigation.fakes import FakeForgeCi

WITH_SERVICE = OpsConfig.parse(
    {"services": {"api": {"github": "acme/api", "environments": ["prod"]}}, "environments": {"prod": {}}}
)
NO_DEPLOYS: Any = object.__new__(Deploys)  # never called while building


def names(config: OpsConfig, ci: dict[str, Any]) -> list[str]:
    integrations = Integrations({}, {}, {}, {}, ci=ci)  # type: ignore[arg-type]
    return [look.spec.name for look in forge_looks(config, integrations, NO_DEPLOYS)]


def test_no_forge_offers_neither() -> None:
    assert names(WITH_SERVICE, {}) == []


def test_a_forge_with_a_service_offers_both() -> None:
    assert names(WITH_SERVICE, {"github": FakeForgeCi()}) == ["ci_logs", "what_changed"]


def test_a_forge_without_services_offers_ci_logs_for_its_threads() -> None:
    assert names(OpsConfig(), {"github": FakeForgeCi()}) == ["ci_logs"]
    assert names(WITH_SERVICE, {"gitlab": FakeForgeCi()}) == ["ci_logs"]
