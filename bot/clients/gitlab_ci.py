"""GitLab CI and the compare API as a :class:`bot.investigation.forge_ports.ForgeCi`, over python-gitlab."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TypeVar

import gitlab

from bot.clients.blocking import off_loop
from bot.clients.gitlab import gitlab_call
from bot.investigation.forge_ports import ChangedCommit, ChangedFile, Comparison, FailedJob

T = TypeVar("T")
PIPELINES_READ = 10  # newest pipelines of a commit looked through
MAX_DIFFS = 1_000  # GitLab's own cap on a compare's diffs (Commit.max_diff_options)


def _diff_counts(diff: str) -> tuple[int, int]:
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _status(diff: dict[str, Any]) -> str:
    if diff.get("new_file"):
        return "added"
    if diff.get("deleted_file"):
        return "removed"
    return "renamed" if diff.get("renamed_file") else "modified"


class GitLabCi:
    def __init__(self, client: gitlab.Gitlab) -> None:
        self._gl = client

    def _project(self, repo: str) -> Any:
        return self._gl.projects.get(repo, lazy=True)

    async def head(self, repo: str, ref: str | None, change: int | None) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            if change is not None:
                request = self._project(repo).mergerequests.get(change)
                return f"!{change} ({request.source_branch})", str(request.sha)
            project = self._gl.projects.get(repo)
            name = ref or str(project.default_branch)
            return name, str(project.commits.get(name).id)

        return await off_loop(gitlab_call(run))

    async def failed_jobs(self, repo: str, sha: str, limit: int) -> list[FailedJob]:
        def run() -> list[FailedJob]:
            project = self._project(repo)
            found: list[FailedJob] = []
            pipelines = project.pipelines.list(sha=sha, order_by="id", sort="desc", iterator=True, per_page=20)
            for pipeline in islice(pipelines, PIPELINES_READ):
                if pipeline.status != "failed":
                    continue
                for job in pipeline.jobs.list(scope="failed", iterator=True, per_page=100):
                    reason = getattr(job, "failure_reason", None)
                    found.append(
                        FailedJob(
                            str(job.id), str(job.name), f"pipeline #{pipeline.id} ({job.stage})",
                            str(job.status), getattr(job, "web_url", None), str(reason) if reason else None,
                        )
                    )  # fmt: skip
                    if len(found) >= limit:
                        return found
            return found

        return await off_loop(gitlab_call(run))

    async def read_log(self, repo: str, job: FailedJob, reader: Callable[[Iterator[bytes]], T]) -> T:
        def run() -> T:
            found = self._project(repo).jobs.get(int(job.id), lazy=True)
            return reader(found.trace(streamed=True, iterator=True, chunk_size=64 * 1024))

        return await off_loop(gitlab_call(run))

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        def run() -> Comparison:
            found = self._project(repo).repository_compare(base, head)
            commits = tuple(
                ChangedCommit(
                    str(c["id"]), str(c.get("author_name") or ""), str(c.get("authored_date") or c.get("created_at")),
                    str(c.get("title") or str(c.get("message") or "").split("\n", 1)[0]),
                )
                for c in reversed(found.get("commits") or [])  # GitLab lists them oldest first
            )  # fmt: skip
            files = tuple(
                ChangedFile(str(d["new_path"]), _status(d), *_diff_counts(str(d.get("diff") or "")))
                for d in found.get("diffs") or []
            )
            complete = not found.get("compare_timeout") and len(files) < MAX_DIFFS
            head_sha = commits[0].sha if commits else head
            return Comparison(base, head_sha, len(commits), commits, files, complete)

        return await off_loop(gitlab_call(run))
