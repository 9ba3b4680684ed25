"""``what_changed``: the commits and files between what runs in an environment and what ran before.

What opsbot knows of deploys arrives through :class:`DeployHistory` (the deploys
feature is wired to it by the composition root), so "the commit running in
production" is opsbot's newest successful deploy there, and "before" is the
previous successful deploy of another commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.commands.entry import ENVIRONMENT_INPUT, REF_INPUT, SERVICE_INPUT
from bot.config import OpsConfig
from bot.errors import CommandError, UpstreamRejected
from bot.forges import ForgeName
from bot.investigation.compare_summary import summarise
from bot.investigation.forge_ports import ForgeCi
from bot.investigation.looks import LookSpec
from bot.investigation.repos import checked_ref, checked_service, service_repo
from bot.model import ChatMessage

HISTORY = 50  # successful deploys looked through for the previous one of another commit


@dataclass(frozen=True)
class DeployPoint:
    """A successful deploy opsbot made."""

    sha: str
    ref: str
    at: float  # epoch seconds
    by: str  # who asked, as ops.yaml names people


class DeployHistory(Protocol):
    async def successful(self, service: str, environment: str, limit: int) -> list[DeployPoint]:
        """Newest first: the successful deploys of ``service`` to ``environment``."""


SPEC = LookSpec(
    name="what_changed",
    backend="the forge's compare API",
    description=(
        "What changed between two versions of a service: commits (sha, author, first line), authors and changed "
        "files. With an environment: between the commit running there (opsbot's newest successful deploy) and "
        "the previous successful deploy; `from`/`to` refs replace either end (with no environment, `from` is "
        "needed and `to` defaults to the default branch)."
    ),
    properties={
        "service": SERVICE_INPUT,
        "environment": ENVIRONMENT_INPUT,
        "from": REF_INPUT,
        "to": REF_INPUT,
    },
    required=("service",),
)


def _deploy(point: DeployPoint, environment: str) -> str:
    when = datetime.fromtimestamp(point.at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{point.sha[:8]} ({point.ref}, deployed to {environment} {when} by {point.by})"


class WhatChanged:
    def __init__(self, config: OpsConfig, forges: Mapping[ForgeName, ForgeCi], history: DeployHistory) -> None:
        self._config = config
        self._forges = forges
        self._history = history

    @property
    def spec(self) -> LookSpec:
        return SPEC

    async def _deploys(self, service: str, environment: str) -> list[DeployPoint]:
        known = self._config.services[service].environments
        if environment not in known:
            raise CommandError(f"`{service}` has no environment `{environment}` (it has: {', '.join(known)}).")
        return await self._history.successful(service, environment, HISTORY)

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        service = checked_service(given.get("service"))
        if service is None:
            raise CommandError("Name the service whose changes to read.")
        environment = checked_service(given.get("environment"))  # the same alphabet as names
        start, end = checked_ref(given.get("from"), "from"), checked_ref(given.get("to"), "to")
        repo = service_repo(self._config, service, self._forges)
        ci = self._forges[repo.forge]
        start_text = end_text = ""
        if environment is not None:
            deploys = await self._deploys(service, environment)
            if not deploys and (start is None or end is None):
                raise CommandError(f"opsbot has recorded no successful deploy of `{service}` to `{environment}`.")
            if end is None:
                end, end_text = deploys[0].sha, f"running in {environment}: {_deploy(deploys[0], environment)}"
            if start is None:
                earlier = next((d for d in deploys[1:] if d.sha != deploys[0].sha), None)
                if earlier is None:
                    raise CommandError(
                        f"opsbot has recorded only one deployed commit of `{service}` to `{environment}`; "
                        "give `from` to compare with."
                    )
                start, start_text = earlier.sha, f"deployed before: {_deploy(earlier, environment)}"
        elif start is None:
            raise CommandError("Give an environment, or a `from` ref (and optionally `to`).")
        try:
            if end is None:
                end_ref, end = await ci.head(repo.name, None, None)
                end_text = f"the default branch {end_ref} ({end[:8]})"
            found = await ci.compare(repo.name, start, end)
        except UpstreamRejected as exc:
            if exc.status in (404, 422):
                raise CommandError(f"`{start}` or `{end}` is not a branch, tag or commit of `{repo.name}`.") from exc
            raise
        start_text = start_text or f"`{start}` ({found.base[:8]})"
        end_text = end_text or f"`{end}` ({found.head[:8]})"
        return summarise(found, f"{service} in {repo.name}, from {start_text} to {end_text}")
