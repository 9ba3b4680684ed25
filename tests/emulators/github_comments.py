"""GitHub issue and pull request comments, and reactions to them and to issues."""

from __future__ import annotations

import copy

from . import github_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .github_state import GitHubState, Json, invalid, not_found

MAX_BODY = 65536  # GitHub refuses longer comment bodies with a 422


class CommentRoutes(GitHubState):
    def add_comment(self, full_name: str, number: int, body: str, user: str = "octocat") -> int:
        """A comment by someone else; returns its id."""
        with self._lock:
            return int(self._new_comment(full_name, number, body, user)["id"])

    def edit_comment(self, comment_id: int, body: str) -> Json:
        """A person's edit of any comment (ticking a box in opsbot's); the comment as it now is."""
        with self._lock:
            comment = self._comments[comment_id]
            comment.update(body=body, updated_at=shape.now())
            return copy.deepcopy(comment)

    def comments(self, full_name: str, number: int) -> list[Json]:
        """Comments on an issue or PR, oldest first: id, body, user, reactions..."""
        with self._lock:
            found = [c for c in self._comments.values() if (c["repo"], c["number"]) == (full_name, number)]
            return copy.deepcopy(found)

    def comment_routes(self, repo: str) -> list[Route]:
        issue, comment = f"{repo}/issues/{{number}}", f"{repo}/issues/comments/{{cid}}"
        return [
            route("GET", comment, self._get_comment),
            route("PATCH", comment, self._edit_comment),
            route("DELETE", comment, self._delete_comment),
            route("GET", f"{comment}/reactions", self._list_comment_reactions),
            route("POST", f"{comment}/reactions", self._react_comment),
            route("GET", f"{issue}/comments", self._list_comments),
            route("POST", f"{issue}/comments", self._create_comment),
            route("GET", f"{issue}/reactions", self._list_issue_reactions),
            route("POST", f"{issue}/reactions", self._react_issue),
        ]

    def _list_comments(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        if self._find_issue(owner, name, number) is None:
            return not_found()
        since, key = request.query.get("since", ""), (f"{owner}/{name}", int(number))
        found = [c for c in self._comments.values() if (c["repo"], c["number"]) == key and c["updated_at"] >= since]
        return self._page(request, [self._render_comment(request, c) for c in found])

    def _create_comment(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        body = (request.json or {}).get("body")
        if self._find_issue(owner, name, number) is None:
            return not_found()
        if not body or len(body) > MAX_BODY:
            return invalid("IssueComment", "body", code="custom" if body else "missing_field")
        comment = self._new_comment(f"{owner}/{name}", int(number), body, self.bot_login)
        return Reply(201, self._render_comment(request, comment))

    def _get_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        return Reply(200, self._render_comment(request, comment)) if comment else not_found()

    def _edit_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        body = (request.json or {}).get("body")
        if comment is None:
            return not_found()
        if not body or len(body) > MAX_BODY:
            return invalid("IssueComment", "body", code="custom" if body else "missing_field")
        comment.update(body=body, updated_at=shape.now())
        return Reply(200, self._render_comment(request, comment))

    def _delete_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        comment = self._find_comment(owner, name, cid)
        if comment is None:
            return not_found()
        del self._comments[comment["id"]]
        self._repos[comment["repo"]]["issues"][comment["number"]]["comments"] -= 1
        return Reply(204)

    def _react(self, request: ApiRequest, target: Json | None) -> Reply:
        if target is None:
            return not_found()
        content = (request.json or {}).get("content")
        if content not in shape.REACTIONS:
            return invalid("Reaction", "content", code="invalid")
        author = self._user(request, self.bot_login)
        for existing in target["reactions"]:
            # The same reaction by the same user again is not an error: 200 and the existing one.
            if (existing["content"], existing["user"]) == (content, self.bot_login):
                return Reply(200, shape.reaction(existing, author))
        record = {"id": next(self._ids), "content": content, "user": self.bot_login, "created_at": shape.now()}
        target["reactions"].append(record)
        return Reply(201, shape.reaction(record, author))

    def _react_comment(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        return self._react(request, self._find_comment(owner, name, cid))

    def _react_issue(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._react(request, self._find_issue(owner, name, number))

    def _list_reactions(self, request: ApiRequest, target: Json | None) -> Reply:
        if target is None:
            return not_found()
        return self._page(request, [shape.reaction(r, self._user(request, r["user"])) for r in target["reactions"]])

    def _list_comment_reactions(self, request: ApiRequest, owner: str, name: str, cid: str) -> Reply:
        return self._list_reactions(request, self._find_comment(owner, name, cid))

    def _list_issue_reactions(self, request: ApiRequest, owner: str, name: str, number: str) -> Reply:
        return self._list_reactions(request, self._find_issue(owner, name, number))
