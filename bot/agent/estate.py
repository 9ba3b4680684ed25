"""The estate as the Ops agent knows it: ops.yaml's services and environments, in the cached prefix.

With the real names in front of it, the agent answers "deploy the frontend"
with `web` rather than a guess. The text is part of the standing
instructions, so it must be the same bytes for a given config on every
request: everything is sorted, nothing depends on the time, and long lists
are cut at fixed counts. ops.yaml is the operators' own file and its names
are checked when it is read, but the catalogue still keeps to the characters
a name, repository or person may have, so nothing in it can read as markup
or as an instruction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.config import Environment, OpsConfig, Service

MAX_SERVICES = 100  # listed in full; beyond, a count
MAX_ENVIRONMENTS = 50
MAX_PEOPLE = 20  # per list of deployers or approvers
MAX_NAME = 100  # characters of one name, repository or person
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_.:/-]")


def _name(value: str) -> str:
    return f"`{_NOT_IN_A_NAME.sub('', value)[:MAX_NAME]}`"


def _names(values: Sequence[str], limit: int) -> str:
    shown = ", ".join(_name(v) for v in sorted(values)[:limit])
    return shown if len(values) <= limit else f"{shown} and {len(values) - limit} more"


def _service(service: Service) -> str:
    forge, repo = ("GitHub", service.github) if service.github else ("GitLab", service.gitlab or "")
    environments = ", ".join(_name(e) for e in service.environments[:MAX_ENVIRONMENTS])  # promotion order
    return f"- {_name(service.name)}: {forge} {_name(repo)}; environments {environments}"


def _environment(environment: Environment) -> str:
    if environment.deployers is None:
        who = "anyone who can push to the service's repository may deploy"
    elif environment.deployers:
        who = f"deployers {_names(environment.deployers, MAX_PEOPLE)}"
    else:
        who = "nobody may deploy"
    if environment.protected:
        approvers = _names(environment.approvers, MAX_PEOPLE)
        approval = f"protected: a deploy waits for one of the approvers {approvers}, never the one who asked"
    else:
        approval = "not protected: no approval needed"
    return f"- {_name(environment.name)}: {approval}; {who}"


def _listing(title: str, lines: list[str], limit: int, rest: str) -> list[str]:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"- and {len(lines) - limit} more {rest}")
    return [f"{title} ({len(lines)}):", *shown]


def catalogue(config: OpsConfig) -> str:
    """The estate section of the instructions, or "" when ops.yaml names no services."""
    if not config.services:
        return ""
    services = [_service(config.services[name]) for name in sorted(config.services)]
    environments = [_environment(config.environments[name]) for name in sorted(config.environments)]
    return "\n".join(
        [
            "# The estate",
            "",
            "These are the services and environments opsbot manages (from its ops.yaml). Use their names "
            'exactly as written here in tools and answers. When a person names one loosely ("the frontend", '
            '"prod"), say which one you take it to be; if more than one could be meant, or none, ask.',
            "",
            *_listing("Services", services, MAX_SERVICES, "services, not listed here"),
            "",
            *_listing("Environments", environments, MAX_ENVIRONMENTS, "environments"),
        ]
    )
