"""Where a memory applies: the whole team, one service, one repository or one Slack channel.

Defined once and used both ways: what recall reads (and ``memories`` lists)
in a place, and where a lesson taught there is kept. The stored keys are
the ones memories have always had (``global``, ``service:api``,
``repo:acme/api``, ``channel:C123``), so kept memories stay valid; people
read "team" instead of ``global``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.config import OpsConfig
from bot.errors import CommandError
from bot.forges import repository
from bot.model import Place, SlackThread

ScopeKind = Literal["team", "service", "repo", "channel"]
TEAM_KEY = "global"  # the team-wide scope's stored key, older than the word "team"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    name: str = ""  # the service, owner/name of the repository, or channel id; "" for the team

    @property
    def key(self) -> str:
        """How the store names it."""
        return TEAM_KEY if self.kind == "team" else f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        """How people read it."""
        return "team" if self.kind == "team" else f"{self.kind} {self.name}"

    @classmethod
    def from_key(cls, key: str) -> Scope:
        kind, _, name = key.partition(":")
        if kind == "service" and name:
            return cls("service", name)
        if kind == "repo" and name:
            return cls("repo", name)
        if kind == "channel" and name:
            return cls("channel", name)
        return TEAM


TEAM = Scope("team")


def label(key: str) -> str:
    return Scope.from_key(key).label


def services_of(place: Place, config: OpsConfig) -> list[str]:
    """The services whose repository (``github:`` or ``gitlab:``) ``place`` is in."""
    here = repository(place)
    if here is None:
        return []
    return [
        name for name, s in config.services.items() if here.name == (s.github if here.forge == "github" else s.gitlab)
    ]


def narrowest(place: Place) -> Scope:
    """The place's own scope: its repository on a forge, its channel in Slack, the team in the console."""
    here = repository(place)
    if here is not None:
        return Scope("repo", here.name)
    if isinstance(place, SlackThread):
        return Scope("channel", place.channel)
    return TEAM


def people_default(place: Place) -> Scope:
    """Where people's lessons go unless they say: the repository on a forge, else the team."""
    here = repository(place)
    return Scope("repo", here.name) if here is not None else TEAM


def applying(place: Place, config: OpsConfig, named: Sequence[str] = ()) -> list[Scope]:
    """Every scope that applies here: the team, the services of this repository and those
    ``named`` (a question about ``api``), and the place's own repository or channel."""
    services = [*services_of(place, config), *(n for n in named if n in config.services)]
    found = [TEAM, *(Scope("service", name) for name in dict.fromkeys(services))]
    own = narrowest(place)
    return found if own == TEAM else [*found, own]


def chosen(wanted: str, place: Place, config: OpsConfig) -> Scope:
    """The scope ``wanted`` names from here ("team", "service:<name>", "repo", "channel"), or a refusal."""
    own = narrowest(place)
    if wanted == "team":
        return TEAM
    if wanted.startswith("service:"):
        name = wanted.removeprefix("service:")
        if name not in config.services:
            known = ", ".join(sorted(config.services)) or "none are configured"
            raise CommandError(f"`{name}` is not a configured service (known: {known})")
        return Scope("service", name)
    if wanted in ("repo", "channel") and own.kind == wanted:
        return own
    if wanted in ("repo", "channel"):
        possible = ", ".join(_possible(place))
        raise CommandError(f"there is no {wanted} scope here; possible scopes: {possible}")
    raise CommandError(f"{wanted!r} is not a scope; use team, service:<name>, repo or channel")


def _possible(place: Place) -> list[str]:
    own = narrowest(place)
    return ["team", "service:<name>", *([own.kind] if own != TEAM else [])]
