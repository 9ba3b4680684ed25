"""The GitHub emulator's store and the lookups its route handlers share.

Records are plain dicts without URLs; ``github_shapes`` renders them per request.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Any

from . import github_shapes as shape
from .base import Emulator, Reply, paginate
from .faults import ApiRequest

Json = dict[str, Any]
DEFAULT_TOKEN = "t"


def reply(result: tuple[int, Any]) -> Reply:
    return Reply(result[0], result[1])


def not_found() -> Reply:
    return reply(shape.error(404, "Not Found"))


def invalid(resource: str, field: str, code: str = "missing_field") -> Reply:
    errors = [{"resource": resource, "code": code, "field": field}]
    return reply(shape.error(422, "Validation Failed", errors=errors))


def fake_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()


class GitHubState(Emulator):
    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_login: str = "opsbot", installation_id: int = 1) -> None:
        super().__init__()
        self.token, self.bot_login, self.installation_id = token, bot_login, installation_id
        self.reset_state()

    def reset_state(self) -> None:
        self._ids = itertools.count(1001)
        self._users: dict[str, int] = {}
        self._repos: dict[str, Json] = {}
        self._comments: dict[int, Json] = {}
        self._app_tokens: set[str] = set()

    def _repo(self, owner: str, name: str) -> Json | None:
        return self._repos.get(f"{owner}/{name}")

    def _user_id(self, login: str) -> int:
        return self._users.setdefault(login, next(self._ids))

    def _user(self, request: ApiRequest, login: str) -> Json:
        return shape.user(request.base_url, login, self._user_id(login))

    def _issue_record(
        self, number: int, title: str, body: str | None, user: str, labels: list[str], state: str
    ) -> Json:
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
        repo = self._repo(owner, name)
        return repo["issues"].get(int(number)) if repo and number.isdigit() else None

    def _find_comment(self, owner: str, name: str, cid: str) -> Json | None:
        found = self._comments.get(int(cid)) if cid.isdigit() else None
        return found if found and found["repo"] == f"{owner}/{name}" else None

    @staticmethod
    def _resolve_ref(repo: Json, ref: str) -> str | None:
        """A branch name or a commit SHA, as GitHub accepts for ``ref``."""
        if ref in repo["branches"]:
            return str(repo["branches"][ref])
        return ref if re.fullmatch(r"[0-9a-f]{7,40}", ref) else None

    def _render_issue(self, request: ApiRequest, full: str, issue: Json) -> Json:
        return shape.issue(request.base_url, full, issue, self._user(request, issue["user"]))

    def _render_comment(self, request: ApiRequest, comment: Json) -> Json:
        return shape.comment(request.base_url, comment["repo"], comment, self._user(request, comment["user"]))

    @staticmethod
    def _page(request: ApiRequest, items: list[Json], wrap: str | None = None) -> Reply:
        """One page of ``items``; GitHub sends ``Link`` only when there is more than one."""
        page = paginate(items, request, default_per_page=30)
        headers = {"link": page.links(request, always_first_and_last=False)} if page.last > 1 else {}
        body: Any = {"total_count": page.total, wrap: page.items} if wrap else page.items
        return Reply(200, body, headers)
