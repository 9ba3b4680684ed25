"""GitLab REST v4 as python-gitlab calls it: ``gitlab.Gitlab(url=emu.url, private_token=token)``.

Projects are addressed by numeric id or by URL-encoded path (``acme%2Fapi``);
everything the token does is done as ``bot_username``. Errors carry GitLab's
``{"message": "404 Not found"}`` shape.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from typing import Any

from . import gitlab_shapes as shape
from .base import Emulator, Reply, Route, paginate, route
from .faults import ApiRequest

Json = dict[str, Any]
API = "/api/v4"
_LEVELS = (10, 20, 30, 40, 50)  # guest, reporter, developer, maintainer, owner


def _message(status: int, message: Any) -> Reply:
    return Reply(status, {"message": message})


def _not_found(what: str = "Not found") -> Reply:
    return _message(404, f"404 {what}")


def _labels(value: Any) -> list[str]:
    """python-gitlab sends labels as a comma-separated string; JSON callers send a list."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [x.strip() for x in items if x.strip()]


def _sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


class GitLabEmulator(Emulator):
    def __init__(self, token: str = "t", *, bot_username: str = "opsbot") -> None:
        super().__init__()
        self.token, self.bot_username = token, bot_username
        self.reset_state()

    def reset_state(self) -> None:
        self._ids = itertools.count(101)
        self._users: dict[str, Json] = {}
        self._projects: dict[int, Json] = {}
        self._notes: dict[int, Json] = {}
        self._user(self.bot_username)

    # -- test-side setup and inspection -----------------------------------------------------
    def add_project(self, path: str, id: int, default_branch: str = "main") -> None:  # noqa: A002
        with self._lock:
            self._projects[id] = {
                "id": id, "path": path, "default_branch": default_branch, "created_at": shape.now(),
                "branches": {default_branch: _sha(path)}, "merge_requests": {}, "issues": {}, "members": {},
                "pipelines": [], "statuses": [],
            }  # fmt: skip

    def add_merge_request(
        self, project: int | str, iid: int, title: str, description: str = "", author: str = "jdoe", *,
        sha: str | None = None, source_branch: str = "feature", target_branch: str | None = None,
    ) -> None:  # fmt: skip
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            sha = sha or _sha(f"{p['path']}!{iid}")
            p["branches"].setdefault(source_branch, sha)
            target = target_branch or p["default_branch"]
            p["merge_requests"][iid] = self._noteable(p, iid, title, description, author) | {
                "sha": sha, "source_branch": source_branch, "target_branch": target, "base_sha": p["branches"][target],
            }  # fmt: skip

    def add_issue(
        self, project: int | str, iid: int, title: str, description: str = "", author: str = "jdoe",
        labels: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            p["issues"][iid] = self._noteable(p, iid, title, description, author) | {"labels": list(labels)}

    def add_note(self, project: int | str, kind: str, iid: int, body: str, author: str = "jdoe") -> int:
        """A note by someone else on ``merge_requests`` or ``issues`` ``iid``."""
        with self._lock:
            p = self._project(str(project))
            assert p is not None and kind in shape.KINDS, (project, kind)
            return int(self._new_note(p, kind, p[kind][iid], body, author)["id"])

    def set_access_level(self, project: int | str, username: str, level: int) -> None:
        if level not in _LEVELS:
            raise ValueError(f"access level must be one of {_LEVELS}")
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            p["members"][self._user(username)["id"]] = level

    def add_commit_status(self, project: int | str, sha: str, name: str, status: str, ref: str = "main") -> None:
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            p["statuses"].append({
                "id": next(self._ids), "sha": sha, "ref": ref, "status": status, "name": name,
                "target_url": None, "description": None, "created_at": shape.now(),
            })  # fmt: skip

    def set_pipeline_status(self, project: int | str, pipeline_id: int, status: str) -> None:
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            found = next(x for x in p["pipelines"] if x["id"] == pipeline_id)
            found.update(status=status, updated_at=shape.now())

    def notes(self, project: int | str, kind: str, iid: int) -> list[Json]:
        """Notes on an MR (``merge_requests``) or issue, oldest first, with their ``awards``."""
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            found = [n for n in self._notes.values() if (n["project_id"], n["kind"], n["iid"]) == (p["id"], kind, iid)]
            return copy.deepcopy(found)

    def issues(self, project: int | str) -> list[Json]:
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            return copy.deepcopy(list(p["issues"].values()))

    def pipelines(self, project: int | str) -> list[Json]:
        """Pipelines created through the API, oldest first, with their ``variables``."""
        with self._lock:
            p = self._project(str(project))
            assert p is not None, project
            return copy.deepcopy(p["pipelines"])

    # -- plumbing -------------------------------------------------------------------------
    def authenticate(self, request: ApiRequest) -> Reply | None:
        token = request.headers.get("private-token") or request.headers.get("authorization", "").removeprefix("Bearer ")
        return None if token == self.token else _message(401, "401 Unauthorized")

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        if status == 404:
            return _message(404, message or "404 Not Found")
        text = {429: "Retry later", 502: "GitLab is not responding"}.get(status, "Internal Server Error")
        return _message(status, message or f"{status} {text}")

    def routes(self) -> list[Route]:
        p, n = f"{API}/projects/{{pid}}", f"{API}/projects/{{pid}}/{{kind}}/{{iid}}/notes"
        return [
            route("GET", f"{API}/user", lambda req: Reply(200, self._render_user(req, self.bot_username, full=True))),
            route("GET", f"{API}/users", self._list_users),
            route("GET", p, self._get_project),
            route("GET", f"{p}/merge_requests/{{iid}}", self._get_merge_request),
            route("GET", f"{p}/issues", self._list_issues),
            route("POST", f"{p}/issues", self._create_issue),
            route("GET", f"{p}/issues/{{iid}}", self._get_issue),
            route("PUT", f"{p}/issues/{{iid}}", self._edit_issue),
            route("GET", n, self._list_notes),
            route("POST", n, self._create_note),
            route("GET", f"{n}/{{note_id}}", self._get_note),
            route("PUT", f"{n}/{{note_id}}", self._edit_note),
            route("POST", f"{n}/{{note_id}}/award_emoji", self._award),
            route("GET", f"{p}/members/all/{{user_id}}", self._member),
            route("POST", f"{p}/pipeline", self._create_pipeline),
            route("GET", f"{p}/pipelines/{{pipeline_id}}", self._get_pipeline),
            route("GET", f"{p}/pipelines/{{pipeline_id}}/variables", self._pipeline_variables),
            route("GET", f"{p}/repository/commits/{{sha}}", self._get_commit),
            route("GET", f"{p}/repository/commits/{{sha}}/statuses", self._commit_statuses),
        ]

    # -- store helpers ----------------------------------------------------------------------
    def _user(self, username: str) -> Json:
        if username not in self._users:
            self._users[username] = {"id": next(self._ids), "username": username, "name": username.title()}
        return self._users[username]

    def _render_user(self, request: ApiRequest, username: str, full: bool = False) -> Json:
        data = shape.user(request.base_url, self._user(username))
        if full:
            data.update(email=f"{username}@example.com", bot=False, created_at="2024-01-01T00:00:00.000Z")
        return data

    def _project(self, pid: str) -> Json | None:
        if pid.isdigit():
            return self._projects.get(int(pid))
        return next((p for p in self._projects.values() if p["path"] == pid), None)

    def _noteable(self, p: Json, iid: int, title: str, description: str, author: str) -> Json:
        self._user(author)
        stamp = shape.now()
        return {
            "id": next(self._ids), "iid": iid, "project_id": p["id"], "title": title, "description": description,
            "author": author, "state": "opened", "labels": [], "notes": 0,
            "created_at": stamp, "updated_at": stamp, "closed_at": None,
        }  # fmt: skip

    def _new_note(self, p: Json, kind: str, target: Json, body: str, author: str) -> Json:
        target["notes"] += 1
        self._user(author)
        stamp = shape.now()
        record = {
            "id": next(self._ids), "project_id": p["id"], "kind": kind, "iid": target["iid"],
            "noteable_id": target["id"], "body": body, "author": author, "system": False,
            "created_at": stamp, "updated_at": stamp, "awards": [],
        }  # fmt: skip
        self._notes[record["id"]] = record
        return record

    def _target(self, pid: str, kind: str, iid: str) -> tuple[Json, Json] | None:
        p = self._project(pid)
        if p is None or kind not in shape.KINDS or not iid.isdigit() or int(iid) not in p[kind]:
            return None
        return p, p[kind][int(iid)]

    def _find_note(self, pid: str, kind: str, iid: str, note_id: str) -> Json | None:
        found = self._target(pid, kind, iid)
        note = self._notes.get(int(note_id)) if note_id.isdigit() else None
        if found is None or note is None or (note["kind"], note["iid"]) != (kind, found[1]["iid"]):
            return None
        return note

    def _render_note(self, request: ApiRequest, note: Json) -> Json:
        return shape.note(note, self._render_user(request, note["author"]))

    def _render_issue(self, request: ApiRequest, p: Json, record: Json) -> Json:
        return shape.issue(request.base_url, p["path"], record, self._render_user(request, record["author"]))

    def _page(self, request: ApiRequest, items: list[Json]) -> Reply:
        page = paginate(items, request, default_per_page=20)
        headers = {
            "x-total": str(page.total), "x-total-pages": str(page.last), "x-per-page": str(page.per_page),
            "x-page": str(page.number), "x-next-page": str(page.number + 1) if page.number < page.last else "",
            "x-prev-page": str(page.number - 1) if page.number > 1 else "", "link": page.links(request),
        }  # fmt: skip
        return Reply(200, page.items, headers)

    # -- users, projects, members -----------------------------------------------------------
    def _list_users(self, request: ApiRequest) -> Reply:
        wanted = request.query.get("username")
        names = [u for u in self._users if wanted in (None, u)]
        return self._page(request, [self._render_user(request, u) for u in names])

    def _get_project(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        return Reply(200, shape.project(request.base_url, p)) if p else _not_found("Project Not Found")

    def _member(self, request: ApiRequest, pid: str, user_id: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return _not_found("Project Not Found")
        level = p["members"].get(int(user_id)) if user_id.isdigit() else None
        username = next((u for u, r in self._users.items() if str(r["id"]) == user_id), None)
        if level is None or username is None:
            return _not_found()
        member = self._render_user(request, username) | {"access_level": level, "expires_at": None}
        return Reply(200, member | {"membership_state": "active"})

    # -- merge requests and issues ------------------------------------------------------------
    def _get_merge_request(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "merge_requests", iid)
        if found is None:
            return _not_found()
        (p, mr), author = found, self._render_user(request, found[1]["author"])
        return Reply(200, shape.merge_request(request.base_url, p["path"], mr, author))

    def _get_issue(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "issues", iid)
        return Reply(200, self._render_issue(request, *found)) if found else _not_found()

    def _list_issues(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return _not_found("Project Not Found")
        state, wanted = request.query.get("state", "all"), set(_labels(request.query.get("labels")))
        found = [i for i in p["issues"].values() if state in ("all", i["state"]) and wanted <= set(i["labels"])]
        found.sort(key=lambda i: i["id"], reverse=request.query.get("sort", "desc") == "desc")
        return self._page(request, [self._render_issue(request, p, i) for i in found])

    def _create_issue(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        body = request.json or request.form
        if p is None:
            return _not_found("Project Not Found")
        if not body.get("title"):
            return _message(400, "title is missing")
        iid = max(p["issues"], default=0) + 1
        p["issues"][iid] = self._noteable(p, iid, body["title"], body.get("description", ""), self.bot_username)
        p["issues"][iid]["labels"] = _labels(body.get("labels"))
        return Reply(201, self._render_issue(request, p, p["issues"][iid]))

    def _edit_issue(self, request: ApiRequest, pid: str, iid: str) -> Reply:
        found = self._target(pid, "issues", iid)
        body = request.json or request.form
        if found is None:
            return _not_found()
        issue = found[1]
        issue.update({k: body[k] for k in ("title", "description") if k in body})
        if "labels" in body:
            issue["labels"] = _labels(body["labels"])
        issue["labels"] += [x for x in _labels(body.get("add_labels")) if x not in issue["labels"]]
        issue["labels"] = [x for x in issue["labels"] if x not in _labels(body.get("remove_labels"))]
        event = body.get("state_event")
        if event in ("close", "reopen"):
            issue["state"] = "closed" if event == "close" else "opened"
            issue["closed_at"] = shape.now() if event == "close" else None
        issue["updated_at"] = shape.now()
        return Reply(200, self._render_issue(request, *found))

    # -- notes and award emoji ----------------------------------------------------------------
    def _list_notes(self, request: ApiRequest, pid: str, kind: str, iid: str) -> Reply:
        found = self._target(pid, kind, iid)
        if found is None:
            return _not_found()
        target = found[1]
        notes = [n for n in self._notes.values() if (n["kind"], n["noteable_id"]) == (kind, target["id"])]
        # GitLab lists notes newest first unless asked otherwise.
        key = "updated_at" if request.query.get("order_by") == "updated_at" else "id"
        notes.sort(key=lambda n: n[key], reverse=request.query.get("sort", "desc") == "desc")
        return self._page(request, [self._render_note(request, n) for n in notes])

    def _create_note(self, request: ApiRequest, pid: str, kind: str, iid: str) -> Reply:
        found = self._target(pid, kind, iid)
        body = (request.json or request.form).get("body")
        if found is None:
            return _not_found()
        if not body:
            return _message(400, "400 Bad request - body is missing")
        if len(body) > 1_000_000:
            return _message(400, {"base": ["Note is too long"]})
        return Reply(201, self._render_note(request, self._new_note(found[0], kind, found[1], body, self.bot_username)))

    def _get_note(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note = self._find_note(pid, kind, iid, note_id)
        return Reply(200, self._render_note(request, note)) if note else _not_found()

    def _edit_note(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note = self._find_note(pid, kind, iid, note_id)
        body = (request.json or request.form).get("body")
        if note is None:
            return _not_found("Note Not Found")
        if note["author"] != self.bot_username:
            return _message(403, "403 Forbidden")
        if body:
            note.update(body=body, updated_at=shape.now())
        return Reply(200, self._render_note(request, note))

    def _award(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note = self._find_note(pid, kind, iid, note_id)
        name = (request.json or request.form).get("name")
        if note is None:
            return _not_found("Award Emoji")
        if not name:
            return _message(400, "400 Bad request - name is missing")
        if any((a["name"], a["user"]) == (name, self.bot_username) for a in note["awards"]):
            # GitLab reports the failed uniqueness validation as a 404.
            return _not_found("Award Emoji Name has already been taken Not Found")
        record = {"id": next(self._ids), "name": name, "user": self.bot_username, "created_at": shape.now()}
        note["awards"].append(record)
        return Reply(201, shape.award(record, note["id"], self._render_user(request, self.bot_username)))

    # -- pipelines and commit statuses ----------------------------------------------------------
    def _create_pipeline(self, request: ApiRequest, pid: str) -> Reply:
        p = self._project(pid)
        body = request.json or {}
        if p is None:
            return _not_found("Project Not Found")
        ref = body.get("ref")
        sha = p["branches"].get(ref)
        if sha is None:
            return _message(400, {"base": ["Reference not found"]})
        stamp = shape.now()
        record = {
            "id": next(self._ids), "iid": len(p["pipelines"]) + 1, "project_id": p["id"], "sha": sha, "ref": ref,
            "status": "created", "created_at": stamp, "updated_at": stamp, "user": self.bot_username,
            "variables": [{"key": v["key"], "value": v["value"], "variable_type": v.get("variable_type", "env_var")}
                          for v in body.get("variables", [])],
        }  # fmt: skip
        p["pipelines"].append(record)
        return Reply(201, shape.pipeline(request.base_url, p["path"], record, self._render_user(request, self.bot_username)))

    def _find_pipeline(self, pid: str, pipeline_id: str) -> tuple[Json, Json] | None:
        p = self._project(pid)
        found = next((x for x in p["pipelines"] if str(x["id"]) == pipeline_id), None) if p else None
        return (p, found) if p and found else None

    def _get_pipeline(self, request: ApiRequest, pid: str, pipeline_id: str) -> Reply:
        found = self._find_pipeline(pid, pipeline_id)
        if found is None:
            return _not_found()
        (p, record), author = found, self._render_user(request, found[1]["user"])
        return Reply(200, shape.pipeline(request.base_url, p["path"], record, author))

    def _pipeline_variables(self, request: ApiRequest, pid: str, pipeline_id: str) -> Reply:
        found = self._find_pipeline(pid, pipeline_id)
        return self._page(request, copy.deepcopy(found[1]["variables"])) if found else _not_found()

    def _get_commit(self, request: ApiRequest, pid: str, sha: str) -> Reply:
        p = self._project(pid)
        if p is None or not (sha in p["branches"].values() or sha in p["branches"]):
            return _not_found("Commit Not Found")
        sha = p["branches"].get(sha, sha)
        return Reply(200, {
            "id": sha, "short_id": sha[:8], "title": "", "message": "", "author_name": "jdoe",
            "author_email": "jdoe@example.com", "created_at": p["created_at"], "parent_ids": [],
            "web_url": f"{request.base_url}/{p['path']}/-/commit/{sha}",
        })  # fmt: skip

    def _commit_statuses(self, request: ApiRequest, pid: str, sha: str) -> Reply:
        p = self._project(pid)
        if p is None:
            return _not_found("Project Not Found")
        author = self._render_user(request, self.bot_username)
        found = [shape.commit_status(s, author) for s in p["statuses"] if s["sha"] == sha]
        return self._page(request, found)
