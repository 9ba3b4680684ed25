"""A forge reporting a deploy's progress, as it travels from the webhook to the worker.

GitHub's deployment statuses and GitLab's pipeline events name the deployment
opsbot created (its key); GitLab's Deployment hook names only the commit, so
the worker looks the deployment up from that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, get_args

from bot import json_fields
from bot.deploys.deploying import ForgeName

FORGES: tuple[ForgeName, ...] = get_args(ForgeName)


@dataclass(frozen=True)
class DeployedCommit:
    forge: ForgeName
    repo: str
    environment: str
    sha_prefix: str

    def to_json(self) -> dict[str, Any]:
        return {"forge": self.forge, "repo": self.repo, "environment": self.environment, "sha_prefix": self.sha_prefix}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeployedCommit:
        return cls(
            forge=json_fields.one_of(data, "forge", FORGES),
            repo=json_fields.text(data, "repo"),
            environment=json_fields.text(data, "environment"),
            sha_prefix=json_fields.text(data, "sha_prefix"),
        )


@dataclass(frozen=True)
class DeployStatusReport:
    KIND: ClassVar[str] = "deploy.status"  # as a job's kind: a wire string, never renamed

    deployment: str | DeployedCommit  # the key (forge:repo:id) of the deployment, or the commit deployed
    status: str
    url: str | None

    def to_json(self) -> dict[str, Any]:
        if isinstance(self.deployment, str):
            return {"key": self.deployment, "status": self.status, "url": self.url}
        return {"commit": self.deployment.to_json(), "status": self.status, "url": self.url}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeployStatusReport:
        # An empty key counts as none, as it always has: the commit names the deployment then.
        key = json_fields.optional_text(data, "key")
        if not key and "commit" not in data:
            raise ValueError("'key' and 'commit' are both missing")
        return cls(
            deployment=key or DeployedCommit.from_json(json_fields.mapping(data, "commit")),
            status=json_fields.text(data, "status"),
            url=json_fields.optional_text(data, "url"),
        )
