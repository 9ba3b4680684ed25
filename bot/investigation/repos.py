"""Which repository a CI or change look may read, for whom.

The looks run as the person who asked, and the simplest faithful rule is the one
they could check themselves: on a forge thread, the thread's own repository (they
are in it) or a service of ops.yaml; in Slack or the console, services of ops.yaml
only. A repository or URL named in the conversation is never read.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from bot.commands.names import is_name, is_ref
from bot.config import OpsConfig
from bot.errors import CommandError
from bot.forges import ForgeName, Repository, repository
from bot.model import GitHubThread, GitLabThread, Place


@dataclass(frozen=True)
class Readable:
    repo: Repository
    service: str | None  # the ops.yaml service it belongs to, when it is one
    change: int | None = None  # the pull/merge request the thread is, when it is one and in this repository


def _change_here(place: Place) -> int | None:
    if isinstance(place, GitHubThread) and place.is_pull_request:
        return place.number
    if isinstance(place, GitLabThread) and place.kind == "merge_request":
        return place.iid
    return None


def service_repo(config: OpsConfig, name: str, available: Container[ForgeName]) -> Repository:
    if not is_name(name) or name not in config.services:
        known = ", ".join(sorted(config.services)) or "none are configured"
        raise CommandError(f"There is no service called `{name[:64]}` (known: {known}).")
    service = config.services[name]
    forge: ForgeName = "github" if service.github else "gitlab"
    if forge not in available:
        raise CommandError(f"opsbot has no {forge} credentials, so it can't read `{name}`'s repository.")
    return Repository(forge, service.github or service.gitlab or "")


def readable(config: OpsConfig, place: Place, service: str | None, available: Container[ForgeName]) -> Readable:
    """The repository a look reads: ``service``'s, else the forge thread's own."""
    here = repository(place)
    if service is not None:
        repo = service_repo(config, service, available)
        return Readable(repo, service, _change_here(place) if repo == here else None)
    if here is None:
        raise CommandError("Name the service (from ops.yaml) whose repository to read.")
    if here.forge not in available:
        raise CommandError(f"opsbot has no {here.forge} credentials, so it can't read `{here.name}`.")
    owner = next((s.name for s in config.services.values() if here.name in (s.github, s.gitlab)), None)
    return Readable(here, owner, _change_here(place))


def checked_ref(value: object, what: str) -> str | None:
    """A ref the model gave, held to the same rule as the chat commands' refs."""
    if value is None:
        return None
    if not isinstance(value, str) or not is_ref(value):
        raise CommandError(f"`{what}` must be a branch, tag or commit name (letters, digits, '.', '_', '/', '-').")
    return value


def checked_service(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not is_name(value):
        raise CommandError("`service` must be a service name from ops.yaml.")
    return value
