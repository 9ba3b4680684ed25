"""GitLab notes on merge requests and issues, and award emoji on notes."""

from __future__ import annotations

import copy

from . import gitlab_shapes as shape
from .base import Reply, Route, route
from .faults import ApiRequest
from .gitlab_state import API, GitLabState, Json, message, not_found, params

MAX_BODY = 1_000_000  # GitLab's note length limit, in characters


class NoteRoutes(GitLabState):
    def add_note(
        self, project: int | str, kind: str, iid: int, body: str, author: str = "jdoe", *, system: bool = False
    ) -> int:
        """A note by someone else on ``merge_requests`` or ``issues`` ``iid`` (``system``: GitLab's own
        "changed the description" kind); returns its id."""
        with self._lock:
            p = self._known_project(project)
            note = self._new_note(p, kind, p[kind][iid], body, author)
            note["system"] = system
            return int(note["id"])

    def edit_note(self, note_id: int, body: str) -> Json:
        """A person's edit of any note (ticking a box in opsbot's); the note as it now is."""
        with self._lock:
            note = self._notes[note_id]
            note.update(body=body, updated_at=shape.now())
            return copy.deepcopy(note)

    def notes(self, project: int | str, kind: str, iid: int) -> list[Json]:
        """Notes on an MR (``merge_requests``) or issue, oldest first, with their ``awards``."""
        with self._lock:
            key = (self._known_project(project)["id"], kind, iid)
            return copy.deepcopy([n for n in self._notes.values() if (n["project_id"], n["kind"], n["iid"]) == key])

    def note_routes(self) -> list[Route]:
        notes = f"{API}/projects/{{pid}}/{{kind}}/{{iid}}/notes"
        return [
            route("GET", notes, self._list_notes),
            route("POST", notes, self._create_note),
            route("GET", f"{notes}/{{note_id}}", self._get_note),
            route("PUT", f"{notes}/{{note_id}}", self._edit_note),
            route("POST", f"{notes}/{{note_id}}/award_emoji", self._award),
        ]

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

    def _find_note(self, pid: str, kind: str, iid: str, note_id: str) -> Json | None:
        found = self._target(pid, kind, iid)
        note = self._notes.get(int(note_id)) if note_id.isdigit() else None
        if found is None or note is None or (note["kind"], note["noteable_id"]) != (kind, found[1]["id"]):
            return None
        return note

    def _render_note(self, request: ApiRequest, note: Json) -> Json:
        return shape.note(note, self._render_user(request, note["author"]))

    def _list_notes(self, request: ApiRequest, pid: str, kind: str, iid: str) -> Reply:
        found = self._target(pid, kind, iid)
        if found is None:
            return not_found()
        notes = [n for n in self._notes.values() if (n["kind"], n["noteable_id"]) == (kind, found[1]["id"])]
        # GitLab lists notes newest first unless asked otherwise.
        key = "updated_at" if request.query.get("order_by") == "updated_at" else "id"
        notes.sort(key=lambda n: n[key], reverse=request.query.get("sort", "desc") == "desc")
        return self._page(request, [self._render_note(request, n) for n in notes])

    def _create_note(self, request: ApiRequest, pid: str, kind: str, iid: str) -> Reply:
        found, body = self._target(pid, kind, iid), params(request).get("body")
        if found is None:
            return not_found()
        if not body:
            return message(400, "400 Bad request - body is missing")
        if len(body) > MAX_BODY:
            return message(400, {"base": ["Note is too long"]})
        note = self._new_note(found[0], kind, found[1], body, self.bot_username)
        return Reply(201, self._render_note(request, note))

    def _get_note(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note = self._find_note(pid, kind, iid, note_id)
        return Reply(200, self._render_note(request, note)) if note else not_found()

    def _edit_note(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note, body = self._find_note(pid, kind, iid, note_id), params(request).get("body")
        if note is None:
            return not_found("Note Not Found")
        if note["author"] != self.bot_username:
            return message(403, "403 Forbidden")
        if body and len(body) > MAX_BODY:
            return message(400, {"base": ["Note is too long"]})
        if body:
            note.update(body=body, updated_at=shape.now())
        return Reply(200, self._render_note(request, note))

    def _award(self, request: ApiRequest, pid: str, kind: str, iid: str, note_id: str) -> Reply:
        note, name = self._find_note(pid, kind, iid, note_id), params(request).get("name")
        if note is None:
            return not_found("Award Emoji")
        if not name:
            return message(400, "400 Bad request - name is missing")
        if any((a["name"], a["user"]) == (name, self.bot_username) for a in note["awards"]):
            # GitLab's API turns the failed uniqueness validation into a 404.
            return not_found("Award Emoji Name has already been taken Not Found")
        record = {"id": next(self._ids), "name": name, "user": self.bot_username, "created_at": shape.now()}
        note["awards"].append(record)
        return Reply(201, shape.award(record, note["id"], self._render_user(request, self.bot_username)))
