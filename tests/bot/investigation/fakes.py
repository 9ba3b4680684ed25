"""An in-memory forge for the CI and change looks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from bot.errors import UpstreamRejected
from bot.investigation.forge_ports import Comparison, FailedJob
from bot.investigation.what_changed import DeployPoint

T = TypeVar("T")


@dataclass
class FakeForgeCi:
    heads: dict[str, str] = field(default_factory=lambda: {"main": "a" * 40})  # ref → sha
    changes: dict[int, str] = field(default_factory=dict)  # PR number → head sha
    jobs: dict[str, list[FailedJob]] = field(default_factory=dict)  # sha → failed jobs
    logs: dict[str, list[str]] = field(default_factory=dict)  # job id → lines, streamed a line a chunk
    comparisons: dict[tuple[str, str], Comparison] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)  # (what, repo)

    async def head(self, repo: str, ref: str | None, change: int | None) -> tuple[str, str]:
        self.asked.append(("head", repo))
        if change is not None:
            if change not in self.changes:
                raise UpstreamRejected("GitHub", "not found", status=404)
            return f"#{change}", self.changes[change]
        name = ref or "main"
        if name not in self.heads:
            raise UpstreamRejected("GitHub", "not found", status=404)
        return name, self.heads[name]

    async def failed_jobs(self, repo: str, sha: str, limit: int) -> list[FailedJob]:
        self.asked.append(("jobs", repo))
        return self.jobs.get(sha, [])[:limit]

    async def read_log(self, repo: str, job: FailedJob, reader: Callable[[Iterator[bytes]], T]) -> T:
        return reader(f"{line}\n".encode() for line in self.logs.get(job.id, []))

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        self.asked.append(("compare", repo))
        found = self.comparisons.get((base, head))
        if found is None:
            raise UpstreamRejected("GitHub", "not found", status=404)
        return found


@dataclass
class FakeHistory:
    deploys: dict[tuple[str, str], list[DeployPoint]] = field(default_factory=dict)

    async def successful(self, service: str, environment: str, limit: int) -> list[DeployPoint]:
        return self.deploys.get((service, environment), [])[:limit]
