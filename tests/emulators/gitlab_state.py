"""The GitLab emulator's store and the lookups its route handlers share."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from . import gitlab_shapes as shape
from .base import Emulator, Reply, paginate
from .faults import ApiRequest

Json = dict[str, Any]
API = "/api/v4"
DEFAULT_TOKEN = "t"


def message(status: int, text: Any) -> Reply:
    return Reply(status, {"message": text})


def not_found(what: str = "Not found") -> Reply:
    return message(404, f"404 {what}")


def fake_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()


def params(request: ApiRequest) -> Json:
    """python-gitlab sends JSON; other callers send forms."""
    return request.json if isinstance(request.json, dict) else dict(request.form)


class GitLabState(Emulator):
    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "opsbot") -> None:
        super().__init__()
        self.token, self.bot_username = token, bot_username
        self.reset_state()

    def reset_state(self) -> None:
        self._ids = itertools.count(101)
        self._users: dict[str, Json] = {}
        self._projects: dict[int, Json] = {}
        self._notes: dict[int, Json] = {}
        self._user(self.bot_username)

    def _user(self, username: str) -> Json:
        if username not in self._users:
            self._users[username] = {"id": next(self._ids), "username": username, "name": username.title()}
        return self._users[username]

    def _render_user(self, request: ApiRequest, username: str) -> Json:
        return shape.user(request.base_url, self._user(username))

    def _project(self, pid: str) -> Json | None:
        """By numeric id or by full path (the router has already decoded ``acme%2Fapi``)."""
        if pid.isdigit():
            return self._projects.get(int(pid))
        return next((p for p in self._projects.values() if p["path"] == pid), None)

    def _known_project(self, project: int | str) -> Json:
        found = self._project(str(project))
        if found is None:
            raise KeyError(f"no project {project!r}: add_project() it first")
        return found

    def _noteable(self, p: Json, iid: int, title: str, description: str, author: str) -> Json:
        self._user(author)
        stamp = shape.now()
        return {
            "id": next(self._ids), "iid": iid, "project_id": p["id"], "title": title, "description": description,
            "author": author, "state": "opened", "labels": [], "notes": 0,
            "created_at": stamp, "updated_at": stamp, "closed_at": None,
        }  # fmt: skip

    def _target(self, pid: str, kind: str, iid: str) -> tuple[Json, Json] | None:
        """The project and the MR (``merge_requests``) or issue (``issues``) ``iid`` in it."""
        p = self._project(pid)
        if p is None or kind not in shape.KINDS or not iid.isdigit() or int(iid) not in p[kind]:
            return None
        return p, p[kind][int(iid)]

    @staticmethod
    def _page(request: ApiRequest, items: list[Json]) -> Reply:
        page = paginate(items, request, default_per_page=20)
        headers = {
            "x-total": str(page.total), "x-total-pages": str(page.last), "x-per-page": str(page.per_page),
            "x-page": str(page.number), "x-next-page": str(page.number + 1) if page.number < page.last else "",
            "x-prev-page": str(page.number - 1) if page.number > 1 else "",
            "link": page.links(request, always_first_and_last=True),
        }  # fmt: skip
        return Reply(200, page.items, headers)
