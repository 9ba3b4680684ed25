"""GitHub Actions and the compare API as a :class:`bot.investigation.forge_ports.ForgeCi`, over PyGithub.

A job's log is a 302 to a short-lived URL of a plain-text file: the redirect comes
from the configured API, and the file is streamed from there in large chunks, as it arrives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TypeVar

import requests
from github.Repository import Repository

from bot.clients.blocking import off_loop
from bot.clients.github import PER_PAGE, SERVICE, GitHubConnector, github_call
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.investigation.forge_ports import ChangedCommit, ChangedFile, Comparison, FailedJob

T = TypeVar("T")
RUNS_READ = 20  # newest workflow runs of a commit looked through
FAILED = {"failure", "timed_out", "startup_failure"}
COMMITS_READ = 1_000  # newest commits of a compare read (10 pages)
MAX_FILES = 300  # GitHub lists at most this many files of a comparison
LOG_TIMEOUT = 15.0  # seconds to connect and between chunks of a log


class GitHubCi:
    def __init__(self, connector: GitHubConnector) -> None:
        self._connector = connector

    def _repo(self, repo: str) -> Repository:
        return self._connector.for_repo(repo).get_repo(repo)

    async def head(self, repo: str, ref: str | None, change: int | None) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            found = self._repo(repo)
            if change is not None:
                head = found.get_pull(change).head
                return f"#{change} ({head.ref})", head.sha
            name = ref or found.default_branch
            commit = found.get_commit(name)
            commit.update()  # a lazy commit's "sha" is the name it was asked for
            return name, commit.sha

        return await off_loop(github_call(run))

    async def failed_jobs(self, repo: str, sha: str, limit: int) -> list[FailedJob]:
        def run() -> list[FailedJob]:
            found: list[FailedJob] = []
            for workflow in islice(self._repo(repo).get_workflow_runs(head_sha=sha), RUNS_READ):
                if workflow.conclusion not in FAILED:
                    continue
                for job in workflow.jobs():
                    if job.conclusion not in FAILED:
                        continue
                    step = next((s.name for s in job.steps if s.conclusion in FAILED), None)
                    found.append(FailedJob(str(job.id), job.name, workflow.name, job.conclusion, job.html_url, step))
                    if len(found) >= limit:
                        return found
            return found

        return await off_loop(github_call(run))

    async def read_log(self, repo: str, job: FailedJob, reader: Callable[[Iterator[bytes]], T]) -> T:
        def run() -> T:
            # PyGithub asks without following the redirect and hands back its Location.
            location = _logs_location(self._repo(repo), int(job.id))
            try:
                with requests.get(location, stream=True, timeout=LOG_TIMEOUT) as answer:
                    if answer.status_code >= 500:
                        raise UpstreamUnavailable(SERVICE, f"the job log answered {answer.status_code}")
                    if answer.status_code >= 400:
                        raise UpstreamRejected(SERVICE, "the job log is gone (logs expire)", status=answer.status_code)
                    return reader(answer.iter_content(chunk_size=64 * 1024))
            except requests.RequestException as exc:
                raise UpstreamUnavailable(SERVICE, f"the job log did not arrive ({exc.__class__.__name__})") from exc

        return await off_loop(github_call(run))

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        def run() -> Comparison:
            found = self._repo(repo).compare(base, head)
            total = found.total_commits
            pages = found.get_commits()
            commits: list[ChangedCommit] = []
            # Compare lists commits oldest first: read its pages from the last one back.
            for page in range(math.ceil(total / PER_PAGE) - 1, -1, -1):
                for commit in reversed(pages.get_page(page)):
                    git = commit.commit
                    who = commit.author.login if commit.author is not None else git.author.name
                    date = git.author.date.isoformat() if git.author.date else ""
                    commits.append(ChangedCommit(commit.sha, who, date, (git.message or "").split("\n", 1)[0]))
                if len(commits) >= COMMITS_READ:
                    break
            files = tuple(ChangedFile(f.filename, f.status, f.additions or 0, f.deletions or 0) for f in found.files)
            head_sha = commits[0].sha if commits else found.base_commit.sha
            return Comparison(found.base_commit.sha, head_sha, total, tuple(commits), files, len(files) < MAX_FILES)

        return await off_loop(github_call(run))


def _logs_location(repo: Repository, job_id: int) -> str:
    # GET /repos/{o}/{r}/actions/jobs/{id}/logs answers 302 with the log's URL.
    headers, _ = repo._requester.requestBlobAndCheck("GET", f"{repo.url}/actions/jobs/{job_id}/logs")
    return str(headers["location"])
