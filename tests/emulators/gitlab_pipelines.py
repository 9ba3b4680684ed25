"""GitLab pipelines triggered through the API, and commit statuses."""

from __future__ import annotations

import copy

from . import gitlab_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .gitlab_state import API, GitLabState, Json, message, not_found, params

PIPELINE_STATES = ("created", "pending", "running", "success", "failed", "canceled", "skipped", "manual")


class PipelineRoutes(GitLabState):
    def add_commit_status(self, project: int | str, sha: str, name: str, status: str, ref: str = "main") -> None:
        with self._lock:
            self._known_project(project)["statuses"].append({
                "id": next(self._ids), "sha": sha, "ref": ref, "status": status, "name": name,
                "target_url": None, "description": None, "created_at": shape.now(),
            })  # fmt: skip

    def set_pipeline_status(self, project: int | str, pipeline_id: int, status: str) -> None:
        """Move a pipeline along, as its jobs would."""
        if status not in PIPELINE_STATES:
            raise ValueError(f"unknown pipeline status {status!r}")
        with self._lock:
            found = next(x for x in self._known_project(project)["pipelines"] if x["id"] == pipeline_id)
            found.update(status=status, updated_at=shape.now())

    def pipelines(self, project: int | str) -> list[Json]:
        """Pipelines created through the API, oldest first, with their ``variables``."""
        with self._lock:
            return copy.deepcopy(self._known_project(project)["pipelines"])

    def pipeline_routes(self) -> list[Route]:
        project, pipeline = f"{API}/projects/{{pid}}", f"{API}/projects/{{pid}}/pipelines/{{pipeline_id}}"
        return [
            # python-gitlab creates at the singular path: POST /projects/:id/pipeline.
            route("POST", f"{project}/pipeline", self._create_pipeline),
            route("GET", pipeline, self._get_pipeline),
            route("GET", f"{pipeline}/variables", self._pipeline_variables),
            route("GET", f"{project}/repository/branches", self._list_branches),
            route("GET", f"{project}/repository/commits/{{sha}}", self._get_commit),
            route("GET", f"{project}/repository/commits/{{sha}}/statuses", self._commit_statuses),
        ]

    def _list_branches(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        web = f"{request.base_url}/{p['path']}/-/tree"
        default = p["default_branch"]

        def branch(name: str, sha: str) -> Json:
            return {
                "name": name, "merged": False, "protected": False, "default": name == default,
                "developers_can_push": False, "developers_can_merge": False, "can_push": True,
                "web_url": f"{web}/{name}", "commit": {"id": sha, "short_id": sha[:8], "title": ""},
            }  # fmt: skip

        return self._page(request, [branch(n, sha) for n, sha in sorted(p["branches"].items())])  # by name

    def _create_pipeline(self, request: ApiRequest, pid: str) -> Reply:
        p, body = self._project(pid), params(request)
        if p is None:
            return not_found("Project Not Found")
        ref = body.get("ref")
        sha = p["branches"].get(ref)
        if sha is None:
            return message(400, {"base": ["Reference not found"]})
        variables = [
            {"key": v["key"], "value": v["value"], "variable_type": v.get("variable_type", "env_var")}
            for v in body.get("variables") or []
        ]
        stamp = shape.now()
        record = {
            "id": next(self._ids), "iid": len(p["pipelines"]) + 1, "project_id": p["id"], "sha": sha, "ref": ref,
            "status": "created", "created_at": stamp, "updated_at": stamp, "user": self.bot_username,
            "variables": variables,
        }  # fmt: skip
        p["pipelines"].append(record)
        author = self._render_user(request, self.bot_username)
        return Reply(201, shape.pipeline(request.base_url, p["path"], record, author))

    def _find_pipeline(self, pid: str, pipeline_id: str) -> tuple[Json, Json] | None:
        p = self._project(pid)
        found = next((x for x in p["pipelines"] if str(x["id"]) == pipeline_id), None) if p else None
        return (p, found) if p and found else None

    def _get_pipeline(self, request: ApiRequest, pid: str, pipeline_id: str) -> Reply:
        found = self._find_pipeline(pid, pipeline_id)
        if found is None:
            return not_found()
        (p, record), author = found, self._render_user(request, found[1]["user"])
        return Reply(200, shape.pipeline(request.base_url, p["path"], record, author))

    def _pipeline_variables(self, request: ApiRequest, pid: str, pipeline_id: str) -> Reply:
        found = self._find_pipeline(pid, pipeline_id)
        return self._page(request, copy.deepcopy(found[1]["variables"])) if found else not_found()

    def _get_commit(self, request: ApiRequest, pid: str, sha: str) -> Reply:
        p = self._project(pid)
        if p is None or not (sha in p["branches"] or sha in p["branches"].values()):
            return not_found("Commit Not Found")
        sha = p["branches"].get(sha, sha)
        return Reply(200, {
            "id": sha, "short_id": sha[:8], "title": "", "message": "", "author_name": "jdoe",
            "author_email": "jdoe@example.com", "created_at": p["created_at"], "parent_ids": [],
            "web_url": f"{request.base_url}/{p['path']}/-/commit/{sha}",
        })  # fmt: skip

    def _commit_statuses(self, request: ApiRequest, pid: str, sha: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        author = self._render_user(request, self.bot_username)
        return self._page(request, [shape.commit_status(s, author) for s in p["statuses"] if s["sha"] == sha])
