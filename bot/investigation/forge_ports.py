"""What the forges give the CI and change looks: failing jobs and their logs, and compares.

Plain values in the core's words, and the one port each forge's adapter implements.
A job's log is read where it streams: the adapter hands its bytes, chunk by chunk
as they arrive, to the reader it is given, so a log of any size is never held
whole in memory, and the reader's bounded state is all that remains of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FailedJob:
    """One CI job that did not succeed: a GitHub Actions job, a GitLab CI job."""

    id: str
    name: str
    pipeline: str  # the workflow (GitHub) or pipeline (GitLab) it ran in
    conclusion: str  # failure, timed_out, cancelled (GitHub); failed (GitLab)
    url: str | None = None
    step: str | None = None  # the step that failed (GitHub) or the reason given (GitLab), when known


@dataclass(frozen=True)
class ChangedCommit:
    sha: str
    author: str
    date: str  # ISO 8601, as the forge gave it
    title: str  # the first line of the message


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, modified, removed, renamed
    additions: int = 0
    deletions: int = 0

    @property
    def churn(self) -> int:
        return self.additions + self.deletions


@dataclass(frozen=True)
class Comparison:
    """What lies between two commits. ``commits`` are newest first and may be only the newest
    part of ``total_commits``; ``files`` may be only the first ones the forge lists."""

    base: str  # sha
    head: str  # sha
    total_commits: int
    commits: tuple[ChangedCommit, ...]
    files: tuple[ChangedFile, ...]
    files_complete: bool = True


class ForgeCi(Protocol):
    """A forge's CI and history, as the asker would see them on the forge."""

    async def head(self, repo: str, ref: str | None, change: int | None) -> tuple[str, str]:
        """(ref, sha): the head of pull/merge request ``change``, else ``ref``, else the default branch.
        A ref or change that does not exist is :class:`bot.errors.UpstreamRejected` with status 404."""

    async def failed_jobs(self, repo: str, sha: str, limit: int) -> list[FailedJob]:
        """At most ``limit`` jobs of ``sha``'s CI that failed, the newest runs first."""

    async def read_log(self, repo: str, job: FailedJob, reader: Callable[[Iterator[bytes]], T]) -> T:
        """What ``reader`` makes of ``job``'s log, given as its bytes in chunks cut anywhere."""

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        """The commits and files from ``base`` (excluded) to ``head``."""
