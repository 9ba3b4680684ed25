"""GitHub REST v3 as PyGithub calls it: ``Github(base_url=emu.url, auth=Auth.Token(token))``.

Repositories, issues and pull requests exist only once a test adds them. Everything
the token does is done as ``bot_login``. A GitHub App can also authenticate: any
three-part JWT may mint an installation token, which then works like the token.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from typing import Any

from . import github_shapes as shape
from .base import Emulator, Reply, Route, paginate, route
from .faults import ApiRequest

Json = dict[str, Any]
_ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}
_DEPLOY_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def _reply(result: tuple[int, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(result[0], result[1], headers or {})


def _not_found() -> Reply:
    return _reply(shape.error(404, "Not Found"))


def _invalid(resource: str, field: str, code: str = "missing_field") -> Reply:
    errors = [{"resource": resource, "code": code, "field": field}]
    return _reply(shape.error(422, "Validation Failed", errors=errors))


def fake_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


class GitHubEmulator(Emulator):
    def __init__(self, token: str = "t", *, bot_login: str = "opsbot", installation_id: int = 1) -> None:
        super().__init__()
        self.token, self.bot_login, self.installation_id = token, bot_login, installation_id
        self.reset_state()

    def reset_state(self) -> None:
        self._ids = itertools.count(1001)
        self._users: dict[str, int] = {}
        self._repos: dict[str, Json] = {}
        self._comments: dict[int, Json] = {}
        self._app_tokens: set[str] = set()

    # -- test-side setup and inspection -----------------------------------------------------
    def add_repo(self, full_name: str, default_branch: str = "main", branches: dict[str, str] | None = None) -> None:
        with self._lock:
            self._repos[full_name] = {
                "id": next(self._ids), "full_name": full_name, "default_branch": default_branch,
                "created_at": shape.now(), "branches": {default_branch: fake_sha(full_name), **(branches or {})},
                "issues": {}, "roles": {}, "deployments": [], "check_runs": [], "statuses": [],
            }  # fmt: skip

    def add_issue(
        self, full_name: str, number: int, title: str, body: str | None = "", user: str = "octocat", *,
        pull: bool = False, head_sha: str | None = None, head_ref: str = "feature", base_ref: str | None = None,
        labels: tuple[str, ...] = (), state: str = "open",
    ) -> None:  # fmt: skip
        with self._lock:
            repo = self._repos[full_name]
            head_sha = head_sha or fake_sha(f"{full_name}#{number}")
            if pull:
                repo["branches"].setdefault(head_ref, head_sha)
            base_ref = base_ref or repo["default_branch"]
            repo["issues"][number] = self._issue_record(number, title, body, user, list(labels), state) | {
                "pull": pull, "head_sha": head_sha, "head_ref": head_ref, "base_ref": base_ref,
                "base_sha": repo["branches"].get(base_ref, fake_sha(base_ref)),
            }  # fmt: skip

    def add_comment(self, full_name: str, number: int, body: str, user: str = "octocat") -> int:
        with self._lock:
            return int(self._new_comment(full_name, number, body, user)["id"])

    def set_permission(self, full_name: str, login: str, role: str) -> None:
        if role not in _ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self._lock:
            self._user_id(login)
            self._repos[full_name]["roles"][login] = role

    def add_check_run(self, full_name: str, sha: str, name: str, status: str = "completed", conclusion: str | None = "success") -> None:
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

    def comments(self, full_name: str, number: int) -> list[Json]:
        """Comments on an issue or PR, oldest first: id, body, user, reactions..."""
        with self._lock:
            found = [c for c in self._comments.values() if (c["repo"], c["number"]) == (full_name, number)]
            return copy.deepcopy(found)

    def issue(self, full_name: str, number: int) -> Json:
        with self._lock:
            return copy.deepcopy(self._repos[full_name]["issues"][number])

    def issues(self, full_name: str) -> list[Json]:
        with self._lock:
            return copy.deepcopy(list(self._repos[full_name]["issues"].values()))

    def deployments(self, full_name: str) -> list[Json]:
        """Deployments with their ``statuses``, oldest first."""
        with self._lock:
            return copy.deepcopy(self._repos[full_name]["deployments"])

    # -- plumbing -------------------------------------------------------------------------
    def authenticate(self, request: ApiRequest) -> Reply | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not credential:
            return _reply(shape.error(401, "Requires authentication"))
        if request.path.startswith("/app/") or request.path.endswith("/installation"):
            if scheme.lower() == "bearer" and credential.count(".") == 2:
                return None
            return _reply(shape.error(401, "A JSON web token could not be decoded"))
        if credential == self.token or credential in self._app_tokens:
            return None
        return _reply(shape.error(401, "Bad credentials"))

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        if message is None:
            message = {404: "Not Found", 429: "You have exceeded a secondary rate limit."}.get(status, "Server Error")
        return _reply(shape.error(status, message))

    def routes(self) -> list[Route]:
        r = "/repos/{owner}/{name}"
        return [
            route("GET", "/user", lambda req: Reply(200, self._user(req, self.bot_login))),
            route("GET", "/users/{login}", self._get_user),
            route("GET", r, self._get_repo),
            route("GET", f"{r}/installation", self._installation),
            route("GET", "/app/installations/{ident}", lambda req, ident: self._installation(req, "", "")),
            route("POST", "/app/installations/{ident}/access_tokens", self._access_token),
            route("GET", f"{r}/issues", self._list_issues),
            route("POST", f"{r}/issues", self._create_issue),
            route("GET", f"{r}/issues/comments/{{cid}}", self._get_comment),
            route("PATCH", f"{r}/issues/comments/{{cid}}", self._edit_comment),
            route("DELETE", f"{r}/issues/comments/{{cid}}", self._delete_comment),
            route("GET", f"{r}/issues/comments/{{cid}}/reactions", self._list_comment_reactions),
            route("POST", f"{r}/issues/comments/{{cid}}/reactions", self._react_comment),
            route("GET", f"{r}/issues/{{number}}", self._get_issue),
            route("PATCH", f"{r}/issues/{{number}}", self._edit_issue),
            route("GET", f"{r}/issues/{{number}}/comments", self._list_comments),
            route("POST", f"{r}/issues/{{number}}/comments", self._create_comment),
            route("GET", f"{r}/issues/{{number}}/reactions", self._list_issue_reactions),
            route("POST", f"{r}/issues/{{number}}/reactions", self._react_issue),
            route("POST", f"{r}/issues/{{number}}/labels", self._add_labels),
            route("PUT", f"{r}/issues/{{number}}/labels", self._set_labels),
            route("DELETE", f"{r}/issues/{{number}}/labels", self._clear_labels),
            route("DELETE", f"{r}/issues/{{number}}/labels/{{label}}", self._remove_label),
            route("GET", f"{r}/pulls/{{number}}", self._get_pull),
            route("GET", f"{r}/collaborators/{{login}}/permission", self._permission),
            route("GET", f"{r}/deployments", self._list_deployments),
            route("POST", f"{r}/deployments", self._create_deployment),
            route("GET", f"{r}/deployments/{{ident}}", self._get_deployment),
            route("GET", f"{r}/deployments/{{ident}}/statuses", self._list_deployment_statuses),
            route("POST", f"{r}/deployments/{{ident}}/statuses", self._create_deployment_status),
            route("GET", f"{r}/commits/{{ref}}", self._get_commit),
            route("GET", f"{r}/commits/{{ref}}/check-runs", self._check_runs),
            route("GET", f"{r}/commits/{{ref}}/status", self._combined_status),
        ]

    # -- store helpers ----------------------------------------------------------------------
    def _user_id(self, login: str) -> int:
        return self._users.setdefault(login, next(self._ids))

    def _user(self, request: ApiRequest, login: str) -> Json:
        return shape.user(request.base_url, login, self._user_id(login))

    def _issue_record(self, number: int, title: str, body: str | None, user: str, labels: list[str], state: str) -> Json:
        self._user_id(user)
        stamp = shape.now()
        return {
            "id": next(self._ids), "number": number, "title": title, "body": body, "user": user, "labels": labels,
            "state": state, "state_reason": None, "created_at": stamp, "updated_at": stamp,
            "closed_at": stamp if state == "closed" else None, "comments": 0, "reactions": [], "pull": False,
        }  # fmt: skip

    def _new_comment(self, full: str, number: int, body: str, login: str) -> Json:
        issue = self._repos[full]["issues"][number]
        issue["comments"] += 1
        self._user_id(login)
        stamp = shape.now()
        record = {
            "id": next(self._ids), "repo": full, "number": number, "pull": issue["pull"], "body": body,
            "user": login, "created_at": stamp, "updated_at": stamp, "reactions": [],
        }  # fmt: skip
        self._comments[record["id"]] = record
        return record

    def _find_issue(self, owner: str, name: str, number: str) -> Json | None:
        repo = self._repos.get(f"{owner}/{name}")
        return repo["issues"].get(int(number)) if repo and number.isdigit() else None

    def _find_comment(self, owner: str, name: str, cid: str) -> Json | None:
        found = self._comments.get(int(cid)) if cid.isdigit() else None
        return found if found and found["repo"] == f"{owner}/{name}" else None

    def _resolve_ref(self, repo: Json, ref: str) -> str | None:
        if ref in repo["branches"]:
            return str(repo["branches"][ref])
        return ref if re.fullmatch(r"[0-9a-f]{7,40}", ref) else None

    def _render_issue(self, request: ApiRequest, full: str, issue: Json) -> Json:
        return shape.issue(request.base_url, full, issue, self._user(request, issue["user"]))

    def _render_comment(self, request: ApiRequest, comment: Json) -> Json:
        return shape.comment(request.base_url, comment["repo"], comment, self._user(request, comment["user"]))

    def _page(self, request: ApiRequest, items: list[Json]) -> Reply:
        page = paginate(items, request, default_per_page=30)
        headers = {"link": page.links(request)} if page.last > 1 else {}
        return Reply(200, page.items, headers)

    # -- users, repos, app ------------------------------------------------------------------
    def _get_user(self, request: ApiRequest, login: str) -> Reply:
        return Reply(200, self._user(request, login)) if login in self._users else _not_found()

    def _get_repo(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        if repo is None:
            return _not_found()
        return Reply(200, shape.repo(request.base_url, repo, self._user(request, owner)))

    def _installation(self, request: ApiRequest, owner: str, name: str) -> Reply:
        if owner and f"{owner}/{name}" not in self._repos:
            return _not_found()
        ident, api = self.installation_id, request.base_url
        return Reply(200, {
            "id": ident, "account": self._user(request, owner or self.bot_login), "app_id": 1, "app_slug": self.bot_login,
            "target_type": "Organization", "repository_selection": "all", "permissions": {"issues": "write"},
            "events": ["issue_comment"], "created_at": shape.now(), "updated_at": shape.now(),
            "access_tokens_url": f"{api}/app/installations/{ident}/access_tokens",
            "repositories_url": f"{api}/installation/repositories", "html_url": f"https://github.com/settings/installations/{ident}",
        })  # fmt: skip

    def _access_token(self, request: ApiRequest, ident: str) -> Reply:
        if ident != str(self.installation_id):
            return _not_found()
        token = f"ghs_{fake_sha(str(next(self._ids)))[:36]}"
        self._app_tokens.add(token)
        expires = "2099-01-01T00:00:00Z"
        return Reply(201, {"token": token, "expires_at": expires, "permissions": {"issues": "write"}, "repository_selection": "all"})

    def _permission(self, request: ApiRequest, owner: str, name: str, login: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        if repo is None or login not in self._users:
            return _not_found()
        role = repo["roles"].get(login, "none")
        return Reply(200, {"permission": _ROLES[role], "role_name": role, "user": self._user(request, login)})

    # -- issues and pull requests ---------------------------------------------------------------
    def _get_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        return Reply(200, self._render_issue(request, f"{owner}/{name}", issue)) if issue else _not_found()

    def _get_pull(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None or not issue["pull"]:
            return _not_found()
        full = f"{owner}/{name}"
        repo = shape.repo(request.base_url, self._repos[full], self._user(request, owner))
        return Reply(200, shape.pull(request.base_url, full, issue, self._user(request, issue["user"]), repo))

    def _list_issues(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        if repo is None:
            return _not_found()
        state = request.query.get("state", "open")
        wanted = {x for x in request.query.get("labels", "").split(",") if x}
        found = [
            i for i in repo["issues"].values()
            if state in ("all", i["state"]) and wanted <= set(i["labels"])
        ]  # fmt: skip
        found.sort(key=lambda i: i["id"], reverse=request.query.get("direction", "desc") == "desc")
        return self._page(request, [self._render_issue(request, repo["full_name"], i) for i in found])

    def _create_issue(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        body = request.json or {}
        if repo is None:
            return _not_found()
        if not body.get("title"):
            return _invalid("Issue", "title")
        number = max(repo["issues"], default=0) + 1
        labels = [x if isinstance(x, str) else x["name"] for x in body.get("labels", [])]
        issue = self._issue_record(number, str(body["title"]), body.get("body"), self.bot_login, labels, "open")
        repo["issues"][number] = issue
        return Reply(201, self._render_issue(request, repo["full_name"], issue))

    def _edit_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None:
            return _not_found()
        body = request.json or {}
        for key in ("title", "body", "labels", "state_reason"):
            if key in body:
                issue[key] = body[key]
        if body.get("state") in ("open", "closed") and body["state"] != issue["state"]:
            issue["state"] = body["state"]
            issue["closed_at"] = shape.now() if body["state"] == "closed" else None
            issue["state_reason"] = body.get("state_reason") or ("completed" if body["state"] == "closed" else "reopened")
        issue["updated_at"] = shape.now()
        return Reply(200, self._render_issue(request, f"{owner}/{name}", issue))

    def _labels_of(self, request: ApiRequest, full: str, issue: Json) -> Reply:
        return Reply(200, [shape.label(request.base_url, full, x) for x in issue["labels"]])

    def _add_labels(self, request: ApiRequest, owner: str, name: str, number: str, replace: bool = False) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None:
            return _not_found()
        # PyGithub sends a bare JSON list; the documented form is {"labels": [...]}.
        given = request.json.get("labels", []) if isinstance(request.json, dict) else request.json or []
        names = [x if isinstance(x, str) else x["name"] for x in given]
        issue["labels"] = names if replace else issue["labels"] + [x for x in names if x not in issue["labels"]]
        return self._labels_of(request, f"{owner}/{name}", issue)

    def _set_labels(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._add_labels(request, owner, name, number, replace=True)

    def _clear_labels(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None:
            return _not_found()
        issue["labels"] = []
        return Reply(204)

    def _remove_label(self, request: ApiRequest, owner: str, name: str, number: str, label: str) -> Reply:
        issue = self._find_issue(owner, name, number)
        if issue is None or label not in issue["labels"]:
            return _reply(shape.error(404, "Label does not exist"))
        issue["labels"].remove(label)
        return self._labels_of(request, f"{owner}/{name}", issue)

    # -- comments and reactions -------------------------------------------------------------------
    def _list_comments(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        if self._find_issue(owner, name, number) is None:
            return _not_found()
        since = request.query.get("since", "")
        found = [
            c for c in self._comments.values()
            if (c["repo"], c["number"]) == (f"{owner}/{name}", int(number)) and c["updated_at"] >= since
        ]  # fmt: skip
        return self._page(request, [self._render_comment(request, c) for c in found])

    def _create_comment(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        body = (request.json or {}).get("body")
        if self._find_issue(owner, name, number) is None:
            return _not_found()
        if not body:
            return _invalid("IssueComment", "body")
        if len(body) > 65536:
            return _invalid("IssueComment", "body", code="custom")
        return Reply(201, self._render_comment(request, self._new_comment(f"{owner}/{name}", int(number), body, self.bot_login)))

    def _get_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        return Reply(200, self._render_comment(request, comment)) if comment else _not_found()

    def _edit_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        body = (request.json or {}).get("body")
        if comment is None:
            return _not_found()
        if not body or len(body) > 65536:
            return _invalid("IssueComment", "body", code="custom" if body else "missing_field")
        comment.update(body=body, updated_at=shape.now())
        return Reply(200, self._render_comment(request, comment))

    def _delete_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        if comment is None:
            return _not_found()
        del self._comments[comment["id"]]
        self._repos[comment["repo"]]["issues"][comment["number"]]["comments"] -= 1
        return Reply(204)

    def _react(self, request: ApiRequest, target: Json | None) -> Reply:
        if target is None:
            return _not_found()
        content = (request.json or {}).get("content")
        if content not in shape.REACTIONS:
            return _invalid("Reaction", "content", code="invalid")
        for existing in target["reactions"]:
            if (existing["content"], existing["user"]) == (content, self.bot_login):
                return Reply(200, shape.reaction(existing, self._user(request, self.bot_login)))
        record = {"id": next(self._ids), "content": content, "user": self.bot_login, "created_at": shape.now()}
        target["reactions"].append(record)
        return Reply(201, shape.reaction(record, self._user(request, self.bot_login)))

    def _react_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        return self._react(request, self._find_comment(owner, name, cid))

    def _react_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._react(request, self._find_issue(owner, name, number))

    def _list_reactions(self, request: ApiRequest, target: Json | None) -> Reply:
        if target is None:
            return _not_found()
        return self._page(request, [shape.reaction(r, self._user(request, r["user"])) for r in target["reactions"]])

    def _list_comment_reactions(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        return self._list_reactions(request, self._find_comment(owner, name, cid))

    def _list_issue_reactions(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._list_reactions(request, self._find_issue(owner, name, number))

    # -- deployments and commit state -----------------------------------------------------------
    def _find_deployment(self, owner: str, name: str, ident: str) -> Json | None:
        repo = self._repos.get(f"{owner}/{name}")
        return next((d for d in repo["deployments"] if str(d["id"]) == ident), None) if repo else None

    def _render_deployment(self, request: ApiRequest, full: str, record: Json) -> Json:
        return shape.deployment(request.base_url, full, record, self._user(request, record["creator"]))

    def _create_deployment(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        body = request.json or {}
        if repo is None:
            return _not_found()
        if not body.get("ref"):
            return _invalid("Deployment", "ref")
        sha = self._resolve_ref(repo, body["ref"])
        if sha is None:
            return _reply(shape.error(422, f"No ref found for: {body['ref']}"))
        environment = body.get("environment", "production")
        record = {
            "id": next(self._ids), "sha": sha, "ref": body["ref"], "task": body.get("task", "deploy"),
            "payload": body.get("payload", {}), "environment": environment, "description": body.get("description"),
            "creator": self.bot_login, "created_at": shape.now(), "statuses": [],
            "transient_environment": body.get("transient_environment", False),
            "production_environment": body.get("production_environment", environment == "production"),
        }  # fmt: skip
        repo["deployments"].append(record)
        return Reply(201, self._render_deployment(request, repo["full_name"], record))

    def _list_deployments(self, request: ApiRequest, owner: str, name: str) -> Reply:
        repo = self._repos.get(f"{owner}/{name}")
        if repo is None:
            return _not_found()
        filters = {k: v for k, v in request.query.items() if k in ("sha", "ref", "task", "environment")}
        found = [d for d in reversed(repo["deployments"]) if all(d[k] == v for k, v in filters.items())]
        return self._page(request, [self._render_deployment(request, repo["full_name"], d) for d in found])

    def _get_deployment(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record = self._find_deployment(owner, name, ident)
        return Reply(200, self._render_deployment(request, f"{owner}/{name}", record)) if record else _not_found()

    def _create_deployment_status(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record = self._find_deployment(owner, name, ident)
        body = request.json or {}
        if record is None:
            return _not_found()
        if body.get("state") not in _DEPLOY_STATES:
            return _invalid("DeploymentStatus", "state", code="invalid")
        status = {
            "id": next(self._ids), "state": body["state"], "description": body.get("description", ""),
            "environment": body.get("environment", record["environment"]), "target_url": body.get("target_url", ""),
            "environment_url": body.get("environment_url", ""), "creator": self.bot_login, "created_at": shape.now(),
        }  # fmt: skip
        record["statuses"].append(status)
        creator = self._user(request, self.bot_login)
        return Reply(201, shape.deployment_status(request.base_url, f"{owner}/{name}", record["id"], status, creator))

    def _list_deployment_statuses(self, request: ApiRequest, owner: str, name: str, ident: str) -> Reply:
        record = self._find_deployment(owner, name, ident)
        if record is None:
            return _not_found()
        full, creator = f"{owner}/{name}", self._user(request, self.bot_login)
        statuses = [shape.deployment_status(request.base_url, full, record["id"], s, creator) for s in reversed(record["statuses"])]
        return self._page(request, statuses)

    def _commit_sha(self, owner: str, name: str, ref: str) -> tuple[Json, str] | None:
        repo = self._repos.get(f"{owner}/{name}")
        sha = self._resolve_ref(repo, ref) if repo else None
        return (repo, sha) if repo and sha else None

    def _get_commit(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit_sha(owner, name, ref)
        if found is None:
            return _reply(shape.error(422, f"No commit found for SHA: {ref}"))
        full, sha, api = f"{owner}/{name}", found[1], request.base_url
        person = {"name": "octocat", "email": "octocat@example.com", "date": found[0]["created_at"]}
        return Reply(200, {
            "sha": sha, "node_id": shape.node_id("Commit", int(sha[:6], 16)), "url": f"{api}/repos/{full}/commits/{sha}",
            "html_url": f"https://github.com/{full}/commit/{sha}", "author": None, "committer": None, "parents": [],
            "commit": {"message": "", "author": person, "committer": person, "tree": {"sha": sha, "url": ""}},
            "files": [], "stats": {"total": 0, "additions": 0, "deletions": 0},
        })  # fmt: skip

    def _check_runs(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit_sha(owner, name, ref)
        if found is None:
            return _not_found()
        runs = [shape.check_run(request.base_url, f"{owner}/{name}", r) for r in found[0]["check_runs"] if r["sha"] == found[1]]
        if "check_name" in request.query:
            runs = [r for r in runs if r["name"] == request.query["check_name"]]
        page = paginate(runs, request, default_per_page=30)
        headers = {"link": page.links(request)} if page.last > 1 else {}
        return Reply(200, {"total_count": len(runs), "check_runs": page.items}, headers)

    def _combined_status(self, request: ApiRequest, owner: str, name: str, ref: str) -> Reply:
        found = self._commit_sha(owner, name, ref)
        if found is None:
            return _not_found()
        (repo, sha), full = found, f"{owner}/{name}"
        latest: dict[str, Json] = {}
        for record in repo["statuses"]:
            if record["sha"] == sha:
                latest[record["context"]] = record  # the newest status per context counts
        states = {s["state"] for s in latest.values()}
        state = "failure" if states & {"error", "failure"} else "pending" if not states or "pending" in states else "success"
        api = request.base_url
        return Reply(200, {
            "state": state, "sha": sha, "total_count": len(latest),
            "statuses": [shape.commit_status(api, full, s) for s in latest.values()],
            "repository": shape.repo(api, repo, self._user(request, owner)),
            "commit_url": f"{api}/repos/{full}/commits/{sha}", "url": f"{api}/repos/{full}/commits/{sha}/status",
        })  # fmt: skip
