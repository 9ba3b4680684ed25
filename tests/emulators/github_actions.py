"""GitHub Actions workflow runs, their jobs and job logs, and the compare API.

A job's log answers 302 to a short-lived blob URL this emulator also serves (no
token needed there, as on GitHub's blob storage), plain text with GitHub's
timestamp prefixes. Commits a test adds form one line of history per repository;
compare refuses refs it doesn't know with 404, and pages its commits as GitHub
does (250 at most unasked, ``per_page`` up to 100 when paged; files only on the
first page, 300 at most).
"""

from __future__ import annotations

import secrets
from typing import Any

from .base import Reply, Route, route
from .faults import ApiRequest
from .github_state import GitHubState, Json, fake_sha, not_found

COMPARE_UNPAGED = 250
COMPARE_FILES = 300
BLOBS = "/_blobs/job-logs"


def log_text(lines: list[str]) -> str:
    """Lines as GitHub stores a job log: each with its timestamp prefix."""
    return "".join(f"2024-01-01T00:00:{i % 60:02d}.{i % 10_000_000:07d}Z {line}\n" for i, line in enumerate(lines))


class ActionsRoutes(GitHubState):
    def reset_state(self) -> None:
        super().reset_state()
        self._runs: dict[int, Json] = {}
        self._jobs: dict[int, Json] = {}
        self._logs: dict[int, bytes] = {}
        self._blob_keys: dict[str, int] = {}

    # -- test-side setup -----------------------------------------------------------------
    def add_workflow_run(self, full_name: str, head_sha: str, name: str = "CI", conclusion: str = "failure") -> int:
        with self._lock:
            ident = next(self._ids)
            self._runs[ident] = {"id": ident, "repo": full_name, "head_sha": head_sha, "name": name,
                                 "conclusion": conclusion, "head_branch": "main"}  # fmt: skip
            return ident

    def add_job(
        self, run_id: int, name: str, conclusion: str = "failure", log: str | bytes = "",
        steps: tuple[tuple[str, str], ...] = (("Set up job", "success"), ("Run tests", "failure")),
    ) -> int:  # fmt: skip
        with self._lock:
            ident = next(self._ids)
            self._jobs[ident] = {"id": ident, "run_id": run_id, "name": name, "conclusion": conclusion,
                                 "steps": list(steps)}  # fmt: skip
            self._logs[ident] = log.encode() if isinstance(log, str) else log
            return ident

    def add_commits(self, full_name: str, commits: list[Json], branch: str | None = None) -> list[str]:
        """Commits on top of the repository's line of history, oldest first: each with ``message``,
        ``author`` and ``files`` (``[{"filename", "status", "additions", "deletions"}]``). Moves ``branch``."""
        with self._lock:
            repo = self._repos[full_name]
            history = repo.setdefault("history", [])
            shas = []
            for c in commits:
                sha = fake_sha(f"{full_name}:{len(history)}:{c['message']}")
                history.append({**c, "sha": sha, "date": c.get("date", "2026-12-04T10:00:00Z")})
                shas.append(sha)
            repo["branches"][branch or repo["default_branch"]] = history[-1]["sha"]
            return shas

    def actions_routes(self, repo: str) -> list[Route]:
        return [
            route("GET", f"{repo}/actions/runs", self._list_runs),
            route("GET", f"{repo}/actions/runs/{{run_id}}/jobs", self._list_jobs),
            route("GET", f"{repo}/actions/jobs/{{job_id}}/logs", self._job_logs),
            route("GET", f"{BLOBS}/{{key}}", self._blob),
            route("GET", f"{repo}/compare/{{basehead}}", self._compare),
        ]

    # -- shapes ----------------------------------------------------------------------------
    def _run_shape(self, request: ApiRequest, run: Json) -> Json:
        api, full = request.base_url, run["repo"]
        url = f"{api}/repos/{full}/actions/runs/{run['id']}"
        return {
            "id": run["id"], "name": run["name"], "node_id": f"WFR_{run['id']}", "head_branch": run["head_branch"],
            "head_sha": run["head_sha"], "path": ".github/workflows/ci.yml", "run_number": run["id"] % 1000,
            "run_attempt": 1, "event": "push", "status": "completed", "conclusion": run["conclusion"],
            "workflow_id": 161335, "url": url, "html_url": f"https://github.com/{full}/actions/runs/{run['id']}",
            "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs",
            "check_suite_url": f"{api}/repos/{full}/check-suites/1",
            "workflow_url": f"{api}/repos/{full}/actions/workflows/161335", "pull_requests": [],
            "created_at": "2026-12-04T10:00:00Z", "updated_at": "2026-12-04T10:05:00Z",
            "run_started_at": "2026-12-04T10:00:00Z",
        }  # fmt: skip

    def _job_shape(self, request: ApiRequest, job: Json) -> Json:
        run = self._runs[job["run_id"]]
        api, full = request.base_url, run["repo"]
        steps = [
            {"name": name, "status": "completed", "conclusion": conclusion, "number": n,
             "started_at": "2026-12-04T10:00:00Z", "completed_at": "2026-12-04T10:01:00Z"}
            for n, (name, conclusion) in enumerate(job["steps"], 1)
        ]  # fmt: skip
        return {
            "id": job["id"], "run_id": run["id"], "run_url": f"{api}/repos/{full}/actions/runs/{run['id']}",
            "run_attempt": 1, "node_id": f"CR_{job['id']}", "head_sha": run["head_sha"],
            "url": f"{api}/repos/{full}/actions/jobs/{job['id']}",
            "html_url": f"https://github.com/{full}/actions/runs/{run['id']}/job/{job['id']}",
            "status": "completed", "conclusion": job["conclusion"], "name": job["name"], "steps": steps,
            "started_at": "2026-12-04T10:00:00Z", "completed_at": "2026-12-04T10:05:00Z",
            "check_run_url": f"{api}/repos/{full}/check-runs/{job['id']}", "labels": ["ubuntu-latest"],
            "runner_id": 1, "runner_name": "GitHub Actions 1", "workflow_name": run["name"],
            "head_branch": run["head_branch"],
        }  # fmt: skip

    # -- routes ----------------------------------------------------------------------------
    def _list_runs(self, request: ApiRequest, owner: str, name: str) -> Reply:
        full = f"{owner}/{name}"
        if self._repo(owner, name) is None:
            return not_found()
        sha = request.query.get("head_sha")
        runs = [r for r in reversed(self._runs.values()) if r["repo"] == full and sha in (None, r["head_sha"])]
        return self._page(request, [self._run_shape(request, r) for r in runs], "workflow_runs")

    def _list_jobs(self, request: ApiRequest, owner: str, name: str, run_id: str) -> Reply:
        run = self._runs.get(int(run_id)) if run_id.isdigit() else None
        if run is None or run["repo"] != f"{owner}/{name}":
            return not_found()
        jobs = [j for j in self._jobs.values() if j["run_id"] == run["id"]]
        return self._page(request, [self._job_shape(request, j) for j in jobs], "jobs")

    def _job_logs(self, request: ApiRequest, owner: str, name: str, job_id: str) -> Reply:
        job = self._jobs.get(int(job_id)) if job_id.isdigit() else None
        if job is None or self._runs[job["run_id"]]["repo"] != f"{owner}/{name}":
            return not_found()
        key = secrets.token_hex(8)
        self._blob_keys[key] = job["id"]
        return Reply(302, None, {"location": f"{request.base_url}{BLOBS}/{key}?sig=emulated"})

    def _blob(self, request: ApiRequest, key: str) -> Reply:
        ident = self._blob_keys.get(key)
        if ident is None:
            return Reply(404, None, raw=b"BlobNotFound")
        return Reply(200, None, raw=self._logs[ident])

    def _compare(self, request: ApiRequest, owner: str, name: str, basehead: str) -> Reply:
        repo = self._repo(owner, name)
        base, dots, head = basehead.partition("...")
        if repo is None or not dots:
            return not_found()
        history: list[Json] = repo.get("history", [])
        index = {c["sha"]: i for i, c in enumerate(history)}
        start, end = (index.get(self._resolve_ref(repo, ref) or "") for ref in (base, head))
        if start is None or end is None:
            return not_found()
        between = history[start + 1 : end + 1]
        paged = "page" in request.query or "per_page" in request.query
        if paged:
            per_page = max(1, min(int(request.query.get("per_page", 30)), 100))
            number = max(1, int(request.query.get("page", 1)))
            shown = between[(number - 1) * per_page : number * per_page]
        else:
            number, shown = 1, between[:COMPARE_UNPAGED]
        api, full = request.base_url, f"{owner}/{name}"
        files: dict[str, Json] = {}
        for c in between:
            for f in c.get("files", []):
                found = files.setdefault(f["filename"], {"filename": f["filename"], "status": f["status"],
                                                         "additions": 0, "deletions": 0})  # fmt: skip
                found["additions"] += f.get("additions", 0)
                found["deletions"] += f.get("deletions", 0)
                found["changes"] = found["additions"] + found["deletions"]
        status = "identical" if start == end else ("ahead" if end > start else "behind")
        return Reply(200, {
            "url": f"{api}/repos/{full}/compare/{basehead}",
            "html_url": f"https://github.com/{full}/compare/{basehead}",
            "base_commit": self._commit_shape(api, full, history[start]),
            "merge_base_commit": self._commit_shape(api, full, history[min(start, end)]),
            "status": status, "ahead_by": max(end - start, 0), "behind_by": max(start - end, 0),
            "total_commits": len(between),
            "commits": [self._commit_shape(api, full, c) for c in shown],
            "files": list(files.values())[:COMPARE_FILES] if number == 1 else [],
        })  # fmt: skip

    @staticmethod
    def _commit_shape(api: str, full: str, c: Json) -> Any:
        person = {"name": c["author"], "email": f"{c['author']}@example.com", "date": c["date"]}
        return {
            "sha": c["sha"], "node_id": f"C_{c['sha'][:10]}", "url": f"{api}/repos/{full}/commits/{c['sha']}",
            "html_url": f"https://github.com/{full}/commit/{c['sha']}", "author": None, "committer": None,
            "parents": [], "commit": {"message": c["message"], "author": person, "committer": person,
                                      "tree": {"sha": c["sha"], "url": ""}, "comment_count": 0},
        }  # fmt: skip
