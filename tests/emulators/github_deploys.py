"""GitHub deployments with their statuses, and the state of commits (check runs, statuses)."""

from __future__ import annotations

import copy

from . import github_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .github_state import GitHubState, Json, invalid, not_found, reply

DEPLOY_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def combined_state(states: set[str]) -> str:
    """GitHub's rule: any failure fails; no status yet, or any pending, is pending."""
    if states & {"error", "failure"}:
        return "failure"
    return "pending" if not states or "pending" in states else "success"


class DeployRoutes(GitHubState):
    def add_check_run(
        self, full_name: str, sha: str, name: str, status: str = "completed", conclusion: str | None = "success"
    ) -> None:
        with self._lock:
            self._repos[full_name]["check_runs"].append({
                "id": next(self._ids), "sha": sha, "name": name, "status": status, "conclusion": conclusion,
                "details_url": None, "created_at": shape.now(),
            })  # fmt: skip

    def add_status(self, full_name: str, sha: str, context: str, state: str, description: str | None = None) -> None:
        with self._lock:
            self._repos[full_name]["statuses"].append({
                "id": next(self._ids), "sha": sha, "context": context, "state": state,
                "description": description, "target_url": None, "created_at": shape.now(),
            })  # fmt: skip

    def deployments(self, full_name: str) -> list[Json]:
        """Deployments with their ``statuses``, oldest first."""
        with self._lock:
            return copy.deepcopy(self._repos[full_name]["deployments"])

    def deploy_routes(self, repo: str) -> list[Route]:
        deployment, commit = f"{repo}/deployments/{{ident}}", f"{repo}/commits/{{ref}}"
        return [
            route("GET", f"{repo}/deployments", self._list_deployments),
            route("POST", f"{repo}/deployments", self._create_deployment),
            route("GET", deployment, self._get_deployment),
            route("GET", f"{deployment}/statuses", self._list_statuses),
            route("POST", f"{deployment}/statuses", self._create_status),
            route("GET", f"{repo}/branches", self._list_branches),
            route("GET", commit, self._get_commit),
            route("GET", f"{commit}/check-runs", self._check_runs),
            route("GET", f"{commit}/status", self._combined_status),
        ]

    def _find_deployment(self, owner: str, name: str, ident: str) -> Json | None:
        repo = self._repo(owner, name)
        return next((d for d in repo["deployments"] if str(d["id"]) == ident), None) if repo else None

    def _render(self, request: ApiRequest, full: str, record: Json) -> Json:
        return shape.deployment(request.base_url, full, record, self._user(request, record["creator"]))

    def _create_deployment(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo, body = self._repo(owner, name), request.json or {}
        if repo is None:
            return not_found()
        if not body.get("ref"):
            return invalid("Deployment", "ref")
        sha = self._resolve_ref(repo, body["ref"])
        if sha is None:
            return reply(shape.error(422, f"No ref found for: {body['ref']}"))
        environment = body.get("environment", "production")
        record = {
            "id": next(self._ids), "sha": sha, "ref": body["ref"], "task": body.get("task", "deploy"),
            "payload": body.get("payload", {}), "environment": environment, "description": body.get("description"),
            "creator": self.bot_login, "created_at": shape.now(), "statuses": [],
            "transient_environment": body.get("transient_environment", False),
            "production_environment": body.get("production_environment", environment == "production"),
        }  # fmt: skip
        repo["deployments"].append(record)
        return Reply(201, self._render(request, repo["full_name"], record))

    def _list_deployments(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repo(owner, name)
        if repo is None:
            return not_found()
        filters = {k: v for k, v in request.query.items() if k in ("sha", "ref", "task", "environment")}
        found = [d for d in reversed(repo["deployments"]) if all(d[k] == v for k, v in filters.items())]
        return self._page(request, [self._render(request, repo["full_name"], d) for d in found])

    def _get_deployment(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record = self._find_deployment(owner, name, ident)
        return Reply(200, self._render(request, f"{owner}/{name}", record)) if record else not_found()

    def _create_status(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record, body = self._find_deployment(owner, name, ident), request.json or {}
        if record is None:
            return not_found()
        if body.get("state") not in DEPLOY_STATES:
            return invalid("DeploymentStatus", "state", code="invalid")
        # GitHub: log_url replaces target_url, which it still takes; setting log_url sets both.
        target_url = body.get("log_url") or body.get("target_url", "")
        status = {
            "id": next(self._ids), "state": body["state"], "description": body.get("description", ""),
            "environment": body.get("environment", record["environment"]), "target_url": target_url,
            "environment_url": body.get("environment_url", ""), "creator": self.bot_login, "created_at": shape.now(),
        }  # fmt: skip
        record["statuses"].append(status)
        creator = self._user(request, self.bot_login)
        return Reply(201, shape.deployment_status(request.base_url, f"{owner}/{name}", record["id"], status, creator))

    def _list_statuses(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record = self._find_deployment(owner, name, ident)
        if record is None:
            return not_found()
        full, creator = f"{owner}/{name}", self._user(request, self.bot_login)
        newest_first = reversed(record["statuses"])
        return self._page(
            request, [shape.deployment_status(request.base_url, full, record["id"], s, creator) for s in newest_first]
        )

    def _commit(self, owner: str, name: str, ref: str) -> tuple[Json, str] | None:
        repo = self._repo(owner, name)
        sha = self._resolve_ref(repo, ref) if repo else None
        return (repo, sha) if repo and sha else None

    def _list_branches(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repo(owner, name)
        if repo is None:
            return not_found()
        api, full = request.base_url, f"{owner}/{name}"
        listed = [
            {"name": branch, "commit": {"sha": sha, "url": f"{api}/repos/{full}/commits/{sha}"}, "protected": False}
            for branch, sha in sorted(repo["branches"].items())  # GitHub lists them by name
        ]
        return self._page(request, listed)

    def _get_commit(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit(owner, name, ref)
        if found is None:
            return reply(shape.error(422, f"No commit found for SHA: {ref}"))
        full, sha, api = f"{owner}/{name}", found[1], request.base_url
        person = {"name": "octocat", "email": "octocat@example.com", "date": found[0]["created_at"]}
        return Reply(200, {
            "sha": sha, "node_id": shape.node_id("Commit", int(sha[:6], 16)),
            "url": f"{api}/repos/{full}/commits/{sha}", "html_url": f"https://github.com/{full}/commit/{sha}",
            "author": None, "committer": None, "parents": [], "files": [],
            "commit": {"message": "", "author": person, "committer": person, "tree": {"sha": sha, "url": ""}},
            "stats": {"total": 0, "additions": 0, "deletions": 0},
        })  # fmt: skip

    def _check_runs(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit(owner, name, ref)
        if found is None:
            return not_found()
        (repo, sha), wanted = found, request.query.get("check_name")
        runs = [r for r in repo["check_runs"] if r["sha"] == sha and wanted in (None, r["name"])]
        return self._page(
            request, [shape.check_run(request.base_url, repo["full_name"], r) for r in runs], "check_runs"
        )

    def _combined_status(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit(owner, name, ref)
        if found is None:
            return not_found()
        (repo, sha), full, api = found, f"{owner}/{name}", request.base_url
        latest = {s["context"]: s for s in repo["statuses"] if s["sha"] == sha}  # the newest per context counts
        return Reply(200, {
            "state": combined_state({s["state"] for s in latest.values()}), "sha": sha, "total_count": len(latest),
            "statuses": [shape.commit_status(api, full, s) for s in latest.values()],
            "repository": shape.repo(api, repo, self._user(request, owner)),
            "commit_url": f"{api}/repos/{full}/commits/{sha}", "url": f"{api}/repos/{full}/commits/{sha}/status",
        })  # fmt: skip
