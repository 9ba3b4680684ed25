"""A forge that lives in the console's process: deploys with no GitHub or GitLab, nothing leaving the machine.

Every repository has the branches ``main`` (the default) and ``broken`` and the
tag ``v1.0.0`` (an earlier release, to roll back to), each at one commit whose SHA
comes from the repository's and the ref's names, so the same transcript shows the
same commits every time. A ref is one of those names or a prefix of one of their
commits (seven characters at least, as people copy them); anything else is not
found, as a forge answers. Creating a deployment hands it to
the sandbox CD, which plays what a real pipeline would report.
"""

from __future__ import annotations

import hashlib
import re

from bot.conversation.readers import Check
from bot.deploys.model import NewDeployment
from bot.errors import UpstreamRejected
from bot.forges import ForgeName
from bot.model import Person
from handlers.sandbox.cd import SandboxCD

SERVICE = "The sandbox forge"  # as errors name an upstream
DEFAULT_BRANCH = "main"
FAILING_BRANCH = "broken"
RELEASE_TAG = "v1.0.0"
REFS = (DEFAULT_BRANCH, FAILING_BRANCH, RELEASE_TAG)
COMMIT_PREFIX = re.compile(r"^[0-9a-f]{7,40}$")
CI_CHECK = "sandbox-ci"


def commit(repo: str, ref: str) -> str:
    """The one commit ``ref`` of ``repo`` is at."""
    return hashlib.sha1(f"{repo}@{ref}".encode(), usedforsecurity=False).hexdigest()


def ref_of(repo: str, sha: str) -> str | None:
    return next((ref for ref in REFS if commit(repo, ref) == sha), None)


class SandboxForge:
    """:class:`bot.deploys.ports.Forge`, standing in for ``name`` (GitHub or GitLab) in the console."""

    def __init__(self, name: ForgeName, cd: SandboxCD) -> None:
        self._name = name
        self._cd = cd

    async def resolve(self, repo: str, ref: str | None) -> tuple[str, str]:
        name = ref or DEFAULT_BRANCH
        if name in REFS:
            return name, commit(repo, name)
        if COMMIT_PREFIX.match(name):
            for known in REFS:
                if commit(repo, known).startswith(name):
                    return name, commit(repo, known)
        raise UpstreamRejected(SERVICE, f"{repo} has no such branch, tag or commit", status=404)

    async def change_head(self, repo: str, number: int) -> tuple[str, str]:
        raise UpstreamRejected(SERVICE, f"{repo} has no pull or merge requests", status=404)

    async def create(self, new: NewDeployment) -> tuple[str, str | None]:
        return self._cd.start(self._name, new, fails=ref_of(new.repo, new.sha) == FAILING_BRANCH), None

    async def checks(self, repo: str, sha: str) -> tuple[Check, ...]:
        return (Check(CI_CHECK, "failure" if ref_of(repo, sha) == FAILING_BRANCH else "success"),)

    async def may_push(self, repo: str, person: Person) -> bool:
        # Nobody pushes to the sandbox: console people are allowed by ops.yaml alone, as Slack people are.
        return False


def sandbox_forges(cd: SandboxCD) -> dict[ForgeName, SandboxForge]:
    """The sandbox in both forges' places, so an ops.yaml's GitHub and GitLab services all deploy."""
    return {"github": SandboxForge("github", cd), "gitlab": SandboxForge("gitlab", cd)}
