"""GitLab REST v4 as python-gitlab calls it: ``gitlab.Gitlab(url=emu.url, private_token=token)``.

Projects are addressed by numeric id or by URL-encoded path (``acme%2Fapi``);
everything the token does is done as ``bot_username``. Errors carry GitLab's
``{"message": "404 Not found"}`` shape.
"""

from __future__ import annotations

import copy
from typing import Any

from . import gitlab_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .gitlab_ci import CiRoutes
from .gitlab_notes import NoteRoutes
from .gitlab_pipelines import PipelineRoutes
from .gitlab_state import API, Json, fake_sha, message, not_found, params

TITLE_LIMIT = 255  # Issuable::TITLE_LENGTH_MAX
DESCRIPTION_BYTES = 1_048_576  # Issuable::DESCRIPTION_LENGTH_MAX (1.megabyte)
ACCESS_LEVELS = (10, 20, 30, 40, 50)  # guest, reporter, developer, maintainer, owner


def _labels(value: Any) -> list[str]:
    """python-gitlab sends labels as a comma-separated string; others send a list."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [x.strip() for x in items if x.strip()]


class GitLabEmulator(CiRoutes, NoteRoutes, PipelineRoutes):
    # -- test-side setup and inspection -----------------------------------------------------
    def add_project(self, path: str, id: int, default_branch: str = "main") -> None:
        with self._lock:
            self._projects[id] = {
                "id": id, "path": path, "default_branch": default_branch, "created_at": shape.now(),
                "branches": {default_branch: fake_sha(path)}, "merge_requests": {}, "issues": {}, "members": {},
                "pipelines": [], "statuses": [],
            }  # fmt: skip

    def add_branch(self, project: int | str, name: str, sha: str | None = None) -> None:
        with self._lock:
            p = self._known_project(project)
            p["branches"][name] = sha or fake_sha(f"{p['path']}:{name}")

    def add_merge_request(
        self, project: int | str, iid: int, title: str, description: str = "", author: str = "jdoe", *,
        sha: str | None = None, source_branch: str = "feature", target_branch: str | None = None,
        files: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        with self._lock:
            p = self._known_project(project)
            sha = sha or fake_sha(f"{p['path']}!{iid}")
            p["branches"].setdefault(source_branch, sha)
            target = target_branch or p["default_branch"]
            p["merge_requests"][iid] = self._noteable(p, iid, title, description, author) | {
                "sha": sha, "source_branch": source_branch, "target_branch": target, "base_sha": p["branches"][target],
                "files": list(files),
            }  # fmt: skip

    def add_issue(
        self, project: int | str, iid: int, title: str, description: str = "", author: str = "jdoe",
        labels: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        with self._lock:
            p = self._known_project(project)
            p["issues"][iid] = self._noteable(p, iid, title, description, author) | {"labels": list(labels)}

    def set_access_level(self, project: int | str, username: str, level: int) -> None:
        if level not in ACCESS_LEVELS:
            raise ValueError(f"access level must be one of {ACCESS_LEVELS}")
        with self._lock:
            self._known_project(project)["members"][self._user(username)["id"]] = level

    def user_id(self, username: str) -> int:
        with self._lock:
            return int(self._user(username)["id"])

    def set_issue_state(self, project: int | str, iid: int, closed: bool) -> Json:
        """A person closing or reopening an issue on the website; the issue as it now is."""
        with self._lock:
            issue = self._known_project(project)["issues"][iid]
            issue.update(state="closed" if closed else "opened", closed_at=shape.now() if closed else None)
            issue["updated_at"] = shape.now()
            return copy.deepcopy(issue)

    def issues(self, project: int | str) -> list[Json]:
        with self._lock:
            return copy.deepcopy(list(self._known_project(project)["issues"].values()))

    # -- plumbing -------------------------------------------------------------------------
    def authenticate(self, request: ApiRequest) -> Reply | None:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = request.headers.get("private-token") or bearer
        return None if token == self.token else message(401, "401 Unauthorized")

    def error_reply(self, status: int, text: str | None = None) -> Reply:
        if status == 404:
            return message(404, text or "404 Not Found")
        reason = {429: "Retry later", 502: "Bad Gateway"}.get(status, "Internal Server Error")
        return message(status, text or f"{status} {reason}")

    def routes(self) -> list[Route]:
        project = f"{API}/projects/{{pid}}"
        return [
            route("GET", f"{API}/user", self._current_user),
            route("GET", f"{API}/users", self._list_users),
            route("GET", project, self._get_project),
            route("GET", f"{project}/members/all/{{user_id}}", self._member),
            route("GET", f"{project}/merge_requests/{{iid}}", self._get_merge_request),
            route("GET", f"{project}/merge_requests/{{iid}}/diffs", self._merge_request_diffs),
            route("GET", f"{project}/issues", self._list_issues),
            route("POST", f"{project}/issues", self._create_issue),
            route("GET", f"{project}/issues/{{iid}}", self._get_issue),
            route("PUT", f"{project}/issues/{{iid}}", self._edit_issue),
            *self.note_routes(),
            *self.pipeline_routes(),
            *self.ci_routes(),
        ]

    # -- users, projects, members -----------------------------------------------------------
    def _current_user(self, request: ApiRequest) -> Reply:
        me = self._render_user(request, self.bot_username)
        return Reply(200, me | {"email": f"{self.bot_username}@example.com", "bot": False})

    def _list_users(self, request: ApiRequest) -> Reply:
        wanted = request.query.get("username")
        return self._page(request, [self._render_user(request, u) for u in self._users if wanted in (None, u)])

    def _get_project(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        return Reply(200, shape.project(request.base_url, p)) if p else not_found("Project Not Found")

    def _member(self, request: ApiRequest, pid: str, user_id: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        level = p["members"].get(int(user_id)) if user_id.isdigit() else None
        username = next((u for u, r in self._users.items() if str(r["id"]) == user_id), None)
        if level is None or username is None:
            return not_found()
        member = self._render_user(request, username)
        return Reply(200, member | {"access_level": level, "expires_at": None, "membership_state": "active"})

    # -- merge requests and issues ------------------------------------------------------------
    def _merge_request_diffs(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "merge_requests", iid)
        if found is None:
            return not_found()
        return self._page(request, [shape.file_diff(path) for path in found[1]["files"]])

    def _get_merge_request(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "merge_requests", iid)
        if found is None:
            return not_found()
        (p, mr), author = found, self._render_user(request, found[1]["author"])
        return Reply(200, shape.merge_request(request.base_url, p["path"], mr, author))

    def _render_issue(self, request: ApiRequest, p: Json, record: Json) -> Json:
        return shape.issue(request.base_url, p["path"], record, self._render_user(request, record["author"]))

    def _get_issue(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "issues", iid)
        return Reply(200, self._render_issue(request, *found)) if found else not_found()

    def _list_issues(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return not_found("Project Not Found")
        state, wanted = request.query.get("state", "all"), set(_labels(request.query.get("labels")))
        found = [i for i in p["issues"].values() if state in ("all", i["state"]) and wanted <= set(i["labels"])]
        found.sort(key=lambda i: i["id"], reverse=request.query.get("sort", "desc") == "desc")
        return self._page(request, [self._render_issue(request, p, i) for i in found])

    @staticmethod
    def _issue_problem(body: Json) -> Reply | None:
        """GitLab's validation of an issue's title and description (app/models/concerns/issuable.rb)."""
        if len(str(body.get("title") or "")) > TITLE_LIMIT:
            return message(400, {"title": [f"is too long (maximum is {TITLE_LIMIT} characters)"]})
        if len(str(body.get("description") or "").encode()) > DESCRIPTION_BYTES:
            return message(400, {"description": [f"is too long (maximum is {DESCRIPTION_BYTES} characters)"]})
        return None

    def _create_issue(self, request: ApiRequest, pid: str) -> Reply:
        p, body = self._project(pid), params(request)
        if p is None:
            return not_found("Project Not Found")
        if not body.get("title"):
            return message(400, "400 Bad request - title is missing")
        if (refused := self._issue_problem(body)) is not None:
            return refused
        iid = max(p["issues"], default=0) + 1
        issue = self._noteable(p, iid, body["title"], body.get("description", ""), self.bot_username)
        p["issues"][iid] = issue | {"labels": _labels(body.get("labels"))}
        return Reply(201, self._render_issue(request, p, p["issues"][iid]))

    def _edit_issue(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found, body = self._target(pid, "issues", iid), params(request)
        if found is None:
            return not_found()
        issue = found[1]
        if (refused := self._issue_problem(body)) is not None:
            return refused
        issue.update({k: body[k] for k in ("title", "description") if k in body})
        labels = _labels(body["labels"]) if "labels" in body else issue["labels"]
        labels += [x for x in _labels(body.get("add_labels")) if x not in labels]
        issue["labels"] = [x for x in labels if x not in _labels(body.get("remove_labels"))]
        if body.get("state_event") in ("close", "reopen"):
            closing = body["state_event"] == "close"
            issue["state"], issue["closed_at"] = ("closed", shape.now()) if closing else ("opened", None)
        issue["updated_at"] = shape.now()
        return Reply(200, self._render_issue(request, *found))
