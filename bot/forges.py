"""GitHub and GitLab as places people work: which repository a thread is in, and who may push there.

Deploys, memory, todos and incidents all ask these questions, so the answers live
here, below every feature, rather than inside one of them. Only push access is a
shared port; what a forge does for deploys (refs, CI, creating a deployment) is
the deploys package's own :class:`bot.deploys.ports.Forge`.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.model import GitHubThread, GitLabThread, Person, Place

log = logging.getLogger(__name__)

ForgeName = Literal["github", "gitlab"]
FORGES: tuple[ForgeName, ...] = ("github", "gitlab")  # the order a bare repository name is tried in


class ForgeAccess(Protocol):
    async def may_push(self, repo: str, person: Person) -> bool:
        """Whether ``person`` can push to ``repo`` (GitHub write, GitLab Developer or more)."""


@dataclass(frozen=True)
class Repository:
    forge: ForgeName
    name: str  # GitHub owner/name, GitLab path with namespace (or numeric id)


def repository(place: Place) -> Repository | None:
    """The repository a thread is in; None in Slack and the console, which belong to no repository."""
    if isinstance(place, GitHubThread):
        return Repository("github", place.repo)
    if isinstance(place, GitLabThread):
        return Repository("gitlab", place.project)
    return None


def forge_repo(spec: str | None, available: Container[str]) -> tuple[ForgeName, str] | None:
    """The forge and repository an ops.yaml repo setting names (``todos.repo``,
    ``incidents.tracking_repo``): ``github:owner/name``, ``gitlab:group/project``, or a bare
    name on whichever forge opsbot has, GitHub first. None when that forge isn't configured."""
    if not spec:
        return None
    prefix, _, repo = spec.rpartition(":")
    for forge in FORGES:
        if (prefix == forge or not prefix) and forge in available:
            return forge, repo
    return None


@dataclass(frozen=True)
class PushAccess:
    """The answer to "may this person push here". A check that could not be made denies."""

    allowed: bool
    failure: Exception | None = None  # why the forge could not say, when it could not

    def __bool__(self) -> bool:
        return self.allowed


async def push_access(
    forges: Mapping[ForgeName, ForgeAccess], forge: ForgeName, repo: str, person: Person
) -> PushAccess:
    """Whether ``person`` may push to ``repo`` on ``forge``. Denied when opsbot has no credentials
    for that forge, and when the check fails or crashes for any reason: authority is never
    assumed (the bot acts for the person, so an unknown answer can't grant them the bot's)."""
    access = forges.get(forge)
    if access is None:
        return PushAccess(False)
    try:
        return PushAccess(await access.may_push(repo, person))
    except Exception as exc:  # deny whatever went wrong; cancellation still propagates
        log.warning(
            "permission check failed",
            extra={"person": person.handle, "repo": f"{forge}:{repo}", "error": str(exc)},
        )
        return PushAccess(False, exc)
