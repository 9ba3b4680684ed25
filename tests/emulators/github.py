"""GitHub REST v3 as PyGithub calls it: ``Github(base_url=emu.url, auth=Auth.Token(token))``.

Repositories, issues and pull requests exist only once a test adds them. Everything
the token does is done as ``bot_login``. A GitHub App can also authenticate: any
three-part JWT may mint an installation token, which then works like the token.

PyGithub waits 0.25 s between requests and 1 s between writes unless built with
``seconds_between_requests=0, seconds_between_writes=0``; tests should do that.
"""

from __future__ import annotations

import copy

from . import github_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .github_actions import BLOBS, ActionsRoutes
from .github_comments import CommentRoutes
from .github_deploys import DeployRoutes
from .github_hooks import HookRoutes
from .github_state import Json, fake_sha, invalid, not_found, reply

TITLE_LIMIT = 256  # GitHub refuses longer issue titles with a 422
BODY_LIMIT = 65_536  # and longer issue bodies
LABEL_LIMIT = 50  # and longer label names


def issue_problem(body: Json) -> Reply | None:
    """GitHub's 422 for an issue title, body or label it won't take."""
    if "title" in body and len(str(body["title"] or "")) > TITLE_LIMIT:
        return invalid("Issue", "title", code="custom")
    if len(str(body.get("body") or "")) > BODY_LIMIT:
        return invalid("Issue", "body", code="custom")
    labels = body.get("labels") or []
    names = [x if isinstance(x, str) else (x or {}).get("name", "") for x in labels] if isinstance(labels, list) else []
    if any(len(str(name)) > LABEL_LIMIT for name in names):
        return invalid("Label", "name", code="custom")
    return None


ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}


class GitHubEmulator(ActionsRoutes, CommentRoutes, DeployRoutes, HookRoutes):
    # -- test-side setup and inspection -----------------------------------------------------
    def add_repo(self, full_name: str, default_branch: str = "main", branches: dict[str, str] | None = None) -> None:
        """``branches`` maps names to head SHAs; the default branch gets one if not given."""
        with self._lock:
            self._repos[full_name] = {
                "id": next(self._ids), "full_name": full_name, "default_branch": default_branch,
                "created_at": shape.now(), "branches": {default_branch: fake_sha(full_name), **(branches or {})},
                "issues": {}, "roles": {}, "deployments": [], "check_runs": [], "statuses": [],
            }  # fmt: skip

    def add_issue(
        self, full_name: str, number: int, title: str, body: str | None = "", user: str = "octocat", *,
        pull: bool = False, head_sha: str | None = None, head_ref: str = "feature", base_ref: str | None = None,
        labels: tuple[str, ...] = (), state: str = "open", files: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        """An issue, or with ``pull=True`` a pull request from ``head_ref`` at ``head_sha`` changing ``files``."""
        with self._lock:
            repo = self._repos[full_name]
            head_sha = head_sha or fake_sha(f"{full_name}#{number}")
            if pull:
                repo["branches"].setdefault(head_ref, head_sha)
            base_ref = base_ref or repo["default_branch"]
            repo["issues"][number] = self._issue_record(number, title, body, user, list(labels), state) | {
                "pull": pull, "head_sha": head_sha, "head_ref": head_ref, "base_ref": base_ref,
                "base_sha": repo["branches"].get(base_ref, fake_sha(base_ref)), "files": list(files),
            }  # fmt: skip

    def set_permission(self, full_name: str, login: str, role: str) -> None:
        """``role``: admin, maintain, write, triage, read or none (a known user without access)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self._lock:
            self._user_id(login)
            self._repos[full_name]["roles"][login] = role

    def issue(self, full_name: str, number: int) -> Json:
        with self._lock:
            return copy.deepcopy(self._repos[full_name]["issues"][number])

    def set_issue_state(self, full_name: str, number: int, state: str) -> Json:
        """A person closing or reopening an issue on the website; the issue as it now is."""
        with self._lock:
            issue = self._repos[full_name]["issues"][number]
            issue.update(state=state, closed_at=shape.now() if state == "closed" else None, updated_at=shape.now())
            return copy.deepcopy(issue)

    def issues(self, full_name: str) -> list[Json]:
        with self._lock:
            return copy.deepcopy(list(self._repos[full_name]["issues"].values()))

    # -- plumbing -------------------------------------------------------------------------
    def authenticate(self, request: ApiRequest) -> Reply | None:
        if request.path.startswith(BLOBS):
            return None  # a job log's signed blob URL is its own credential
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not credential:
            return reply(shape.error(401, "Requires authentication"))
        if request.path.startswith("/app/") or request.path.endswith("/installation"):
            if scheme.lower() == "bearer" and credential.count(".") == 2:
                return None
            return reply(shape.error(401, "A JSON web token could not be decoded"))
        if credential == self.token or credential in self._app_tokens:
            return None
        return reply(shape.error(401, "Bad credentials"))

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        if message is None:
            message = {404: "Not Found", 429: "You have exceeded a secondary rate limit."}.get(status, "Server Error")
        return reply(shape.error(status, message))

    def routes(self) -> list[Route]:
        repo, issue = "/repos/{owner}/{name}", "/repos/{owner}/{name}/issues/{number}"
        return [
            route("GET", "/user", lambda request: Reply(200, self._user(request, self.bot_login))),
            route("GET", "/users/{login}", self._get_user),
            route("GET", repo, self._get_repo),
            route("GET", f"{repo}/installation", self._installation),
            route("GET", "/app/installations/{ident}", lambda request, ident: self._installation(request, "", "")),
            route("POST", "/app/installations/{ident}/access_tokens", self._access_token),
            route("GET", f"{repo}/collaborators/{{login}}/permission", self._permission),
            route("GET", f"{repo}/issues", self._list_issues),
            route("POST", f"{repo}/issues", self._create_issue),
            *self.comment_routes(repo),
            route("GET", issue, self._get_issue),
            route("PATCH", issue, self._edit_issue),
            route("POST", f"{issue}/labels", self._add_labels),
            route("PUT", f"{issue}/labels", self._set_labels),
            route("DELETE", f"{issue}/labels", self._clear_labels),
            route("DELETE", f"{issue}/labels/{{label}}", self._remove_label),
            route("GET", f"{repo}/pulls/{{number}}", self._get_pull),
            route("GET", f"{repo}/pulls/{{number}}/files", self._pull_files),
            *self.deploy_routes(repo),
            *self.actions_routes(repo),
            *self.hook_routes(),
        ]

    # -- users, repositories, the app ---------------------------------------------------------
    def _get_user(self, request: ApiRequest, login: str) -> Reply:
        return Reply(200, self._user(request, login)) if login in self._users else not_found()

    def _get_repo(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repo(owner, name)
        return Reply(200, shape.repo(request.base_url, repo, self._user(request, owner))) if repo else not_found()

    def _installation(self, request: ApiRequest, owner: str, name: str) -> Reply:
        if owner and self._repo(owner, name) is None:
            return not_found()
        ident, api = self.installation_id, request.base_url
        return Reply(200, {
            "id": ident, "account": self._user(request, owner or self.bot_login), "app_id": 1,
            "app_slug": self.bot_login, "target_type": "Organization", "repository_selection": "all",
            "permissions": {"issues": "write"}, "events": ["issue_comment"],
            "created_at": shape.now(), "updated_at": shape.now(),
            "access_tokens_url": f"{api}/app/installations/{ident}/access_tokens",
            "repositories_url": f"{api}/installation/repositories",
            "html_url": f"https://github.com/settings/installations/{ident}",
        })  # fmt: skip

    def _access_token(self, request: ApiRequest, ident: str) -> Reply:
        if ident != str(self.installation_id):
            return not_found()
        token = f"ghs_{fake_sha(str(next(self._ids)))[:36]}"
        self._app_tokens.add(token)
        return Reply(201, {
            "token": token, "expires_at": "2099-01-01T00:00:00Z", "permissions": {"issues": "write"},
            "repository_selection": "all",
        })  # fmt: skip

    def _permission(self, request: ApiRequest, owner: str, name: str, login: str) -> Reply:
        repo = self._repo(owner, name)
        if repo is None or login not in self._users:
            return not_found()
        role = repo["roles"].get(login, "none")
        return Reply(200, {"permission": ROLES[role], "role_name": role, "user": self._user(request, login)})

    # -- issues, pull requests, labels ---------------------------------------------------------
    def _get_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        return Reply(200, self._render_issue(request, f"{owner}/{name}", issue)) if issue else not_found()

    def _get_pull(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue, full = self._find_issue(owner, name, number), f"{owner}/{name}"
        if issue is None or not issue["pull"]:
            return not_found()
        repo = shape.repo(request.base_url, self._repos[full], self._user(request, owner))
        return Reply(200, shape.pull(request.base_url, full, issue, self._user(request, issue["user"]), repo))

    def _pull_files(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None or not issue["pull"]:
            return not_found()
        return self._page(
            request, [shape.pull_file(request.base_url, f"{owner}/{name}", issue, f) for f in issue["files"]]
        )

    def _list_issues(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repo(owner, name)
        if repo is None:
            return not_found()
        # Like GitHub, the list includes pull requests.
        state, wanted = request.query.get("state", "open"), {x for x in request.query.get("labels", "").split(",") if x}
        found = [i for i in repo["issues"].values() if state in ("all", i["state"]) and wanted <= set(i["labels"])]
        found.sort(key=lambda i: i["id"], reverse=request.query.get("direction", "desc") == "desc")
        return self._page(request, [self._render_issue(request, repo["full_name"], i) for i in found])

    def _create_issue(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo, body = self._repo(owner, name), request.json or {}
        if repo is None:
            return not_found()
        if not body.get("title"):
            return invalid("Issue", "title")
        if (refused := issue_problem(body)) is not None:
            return refused
        number = max(repo["issues"], default=0) + 1
        labels = [x if isinstance(x, str) else x["name"] for x in body.get("labels", [])]
        issue = self._issue_record(number, str(body["title"]), body.get("body"), self.bot_login, labels, "open")
        repo["issues"][number] = issue
        return Reply(201, self._render_issue(request, repo["full_name"], issue))

    def _edit_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue, body = self._find_issue(owner, name, number), request.json or {}
        if issue is None:
            return not_found()
        if (refused := issue_problem(body)) is not None:
            return refused
        issue.update({k: body[k] for k in ("title", "body", "labels", "state_reason") if k in body})
        if body.get("state") in ("open", "closed") and body["state"] != issue["state"]:
            closed = body["state"] == "closed"
            issue["state"], issue["closed_at"] = body["state"], shape.now() if closed else None
            issue["state_reason"] = body.get("state_reason") or ("completed" if closed else "reopened")
        issue["updated_at"] = shape.now()
        return Reply(200, self._render_issue(request, f"{owner}/{name}", issue))

    def _labels(self, request: ApiRequest, full: str, issue: Json) -> Reply:
        return Reply(200, [shape.label(request.base_url, full, x) for x in issue["labels"]])

    def _add_labels(self, request: ApiRequest, owner: str, name: str, number: str, replace: bool = False) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None:
            return not_found()
        # PyGithub sends a bare JSON list; the documented form is {"labels": [...]}.
        given = request.json.get("labels", []) if isinstance(request.json, dict) else request.json or []
        if (refused := issue_problem({"labels": given})) is not None:
            return refused
        names = [x if isinstance(x, str) else x["name"] for x in given]
        issue["labels"] = names if replace else issue["labels"] + [x for x in names if x not in issue["labels"]]
        return self._labels(request, f"{owner}/{name}", issue)

    def _set_labels(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._add_labels(request, owner, name, number, replace=True)

    def _clear_labels(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None:
            return not_found()
        issue["labels"] = []
        return Reply(204)

    def _remove_label(self, request: ApiRequest, owner: str, name: str, number: str, label: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None or label not in issue["labels"]:
            return reply(shape.error(404, "Label does not exist"))
        issue["labels"].remove(label)
        return self._labels(request, f"{owner}/{name}", issue)
