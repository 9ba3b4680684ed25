"""GitLab CI jobs of a pipeline, a job's trace (plain text), and the repository compare API."""

from __future__ import annotations

from .base import Reply, Route, route
from .faults import ApiRequest
from .gitlab_state import API, GitLabState, Json, fake_sha, not_found

COMPARE_DIFFS = 1_000  # GitLab's Commit.max_diff_options[:max_files]


class CiRoutes(GitLabState):
    def reset_state(self) -> None:
        super().reset_state()
        self._jobs: dict[int, Json] = {}
        self._traces: dict[int, bytes] = {}

    def add_pipeline_run(self, project: int | str, sha: str, status: str = "failed", ref: str = "main") -> int:
        """A pipeline that ran (not one opsbot created), for its jobs."""
        with self._lock:
            p = self._known_project(project)
            ident = next(self._ids)
            p["pipelines"].append({
                "id": ident, "iid": len(p["pipelines"]) + 1, "project_id": p["id"], "sha": sha, "ref": ref,
                "status": status, "created_at": "2026-12-04T10:00:00.000Z", "updated_at": "2026-12-04T10:05:00.000Z",
                "user": self.bot_username, "variables": [],
            })  # fmt: skip
            return ident

    def add_ci_job(
        self, pipeline_id: int, name: str, status: str = "failed", trace: str | bytes = "", stage: str = "test",
        failure_reason: str | None = "script_failure",
    ) -> int:  # fmt: skip
        with self._lock:
            ident = next(self._ids)
            self._jobs[ident] = {"id": ident, "pipeline_id": pipeline_id, "name": name, "status": status,
                                 "stage": stage, "failure_reason": failure_reason}  # fmt: skip
            self._traces[ident] = trace.encode() if isinstance(trace, str) else trace
            return ident

    def add_commits(self, project: int | str, commits: list[Json]) -> list[str]:
        """Commits on the default branch's line of history, oldest first: ``message``, ``author``, ``files``."""
        with self._lock:
            p = self._known_project(project)
            history = p.setdefault("history", [])
            shas = []
            for c in commits:
                sha = fake_sha(f"{p['path']}:{len(history)}:{c['message']}")
                history.append({**c, "sha": sha})
                shas.append(sha)
            p["branches"][p["default_branch"]] = history[-1]["sha"]
            return shas

    def ci_routes(self) -> list[Route]:
        project = f"{API}/projects/{{pid}}"
        return [
            route("GET", f"{project}/pipelines", self._list_pipelines),
            route("GET", f"{project}/pipelines/{{pipeline_id}}/jobs", self._pipeline_jobs),
            route("GET", f"{project}/jobs/{{job_id}}/trace", self._trace),
            route("GET", f"{project}/repository/compare", self._compare),
        ]

    def _pipeline_shape(self, request: ApiRequest, p: Json, x: Json) -> Json:
        return {
            "id": x["id"], "iid": x["iid"], "project_id": p["id"], "sha": x["sha"], "ref": x["ref"],
            "status": x["status"], "source": "push", "created_at": x["created_at"], "updated_at": x["updated_at"],
            "web_url": f"{request.base_url}/{p['path']}/-/pipelines/{x['id']}",
        }  # fmt: skip

    def _list_pipelines(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        sha = request.query.get("sha")
        found = [x for x in reversed(p["pipelines"]) if sha in (None, x["sha"])]
        return self._page(request, [self._pipeline_shape(request, p, x) for x in found])

    def _pipeline_jobs(self, request: ApiRequest, pid: str, pipeline_id: str) -> Reply:
        p = self._project(pid)
        pipeline = next((x for x in p["pipelines"] if str(x["id"]) == pipeline_id), None) if p else None
        if p is None or pipeline is None:
            return not_found()
        scope = request.query.get("scope") or request.query.get("scope[]")
        jobs = [j for j in self._jobs.values() if j["pipeline_id"] == pipeline["id"] and scope in (None, j["status"])]
        return self._page(request, [{
            **j, "ref": pipeline["ref"], "allow_failure": False, "created_at": pipeline["created_at"],
            "web_url": f"{request.base_url}/{p['path']}/-/jobs/{j['id']}",
            "pipeline": {"id": pipeline["id"], "sha": pipeline["sha"], "ref": pipeline["ref"],
                         "status": pipeline["status"]},
        } for j in jobs])  # fmt: skip

    def _trace(self, request: ApiRequest, pid: str, job_id: str) -> Reply:
        job = self._jobs.get(int(job_id)) if job_id.isdigit() else None
        if self._project(pid) is None or job is None:
            return not_found()
        return Reply(200, None, raw=self._traces[job["id"]])

    def _compare(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        history: list[Json] = p.get("history", [])
        index = {c["sha"]: i for i, c in enumerate(history)}

        def position(ref: str) -> int | None:
            return index.get(p["branches"].get(ref, ref))

        start, end = position(request.query.get("from", "")), position(request.query.get("to", ""))
        if start is None or end is None:
            return not_found("Ref Not Found")
        between = history[start + 1 : end + 1]
        commits = [{
            "id": c["sha"], "short_id": c["sha"][:8], "title": c["message"].split("\n", 1)[0],
            "message": c["message"], "author_name": c["author"], "author_email": f"{c['author']}@example.com",
            "authored_date": "2026-12-04T10:00:00.000Z", "created_at": "2026-12-04T10:00:00.000Z",
            "parent_ids": [], "web_url": f"{request.base_url}/{p['path']}/-/commit/{c['sha']}",
        } for c in between]  # fmt: skip
        diffs = {}
        for c in between:
            for f in c.get("files", []):
                body = "@@ -1 +1 @@\n" + "+x\n" * f.get("additions", 0) + "-y\n" * f.get("deletions", 0)
                diffs[f["filename"]] = {"old_path": f["filename"], "new_path": f["filename"], "a_mode": "100644",
                                        "b_mode": "100644", "new_file": f["status"] == "added", "renamed_file": False,
                                        "deleted_file": f["status"] == "removed", "diff": body}  # fmt: skip
        return Reply(200, {
            "commit": commits[-1] if commits else None, "commits": commits,
            "diffs": list(diffs.values())[:COMPARE_DIFFS], "compare_timeout": False, "compare_same_ref": start == end,
            "web_url": f"{request.base_url}/{p['path']}/-/compare/{request.query['from']}...{request.query['to']}",
        })  # fmt: skip
