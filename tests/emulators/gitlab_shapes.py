"""GitLab REST v4 JSON shapes, rendered for the base URL the client used.

python-gitlab warns when a URL in a reply does not start with the URL it was given
(``gl.auth()`` checks the user's ``web_url``, pagination checks ``Link``), and the
suite turns warnings into errors: every URL here is built from the request's host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
KINDS = {"merge_requests": "MergeRequest", "issues": "Issue"}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def user(web: str, record: Json) -> Json:
    return {
        "id": record["id"], "username": record["username"], "name": record["name"], "state": "active",
        "locked": False, "avatar_url": f"{web}/uploads/-/system/user/avatar/{record['id']}/avatar.png",
        "web_url": f"{web}/{record['username']}",
    }  # fmt: skip


def project(web: str, record: Json) -> Json:
    path = record["path"]
    namespace, _, name = path.rpartition("/")
    return {
        "id": record["id"], "description": None, "name": name, "name_with_namespace": path.replace("/", " / "),
        "path": name, "path_with_namespace": path, "created_at": record["created_at"],
        "default_branch": record["default_branch"], "web_url": f"{web}/{path}",
        "http_url_to_repo": f"{web}/{path}.git", "visibility": "private",
        "namespace": {
            "id": record["id"] + 1000, "name": namespace, "path": namespace, "kind": "group", "full_path": namespace,
        },
    }  # fmt: skip


def _references(path: str, sigil: str, iid: int) -> Json:
    return {"short": f"{sigil}{iid}", "relative": f"{sigil}{iid}", "full": f"{path}{sigil}{iid}"}


def issue(web: str, path: str, record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "iid": record["iid"], "project_id": record["project_id"], "title": record["title"],
        "description": record["description"], "state": record["state"], "created_at": record["created_at"],
        "updated_at": record["updated_at"], "closed_at": record["closed_at"], "closed_by": None,
        "labels": list(record["labels"]), "milestone": None, "assignees": [], "assignee": None, "author": author,
        "type": "ISSUE", "issue_type": "issue", "user_notes_count": record["notes"], "confidential": False,
        "web_url": f"{web}/{path}/-/issues/{record['iid']}", "references": _references(path, "#", record["iid"]),
    }  # fmt: skip


def merge_request(web: str, path: str, record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "iid": record["iid"], "project_id": record["project_id"], "title": record["title"],
        "description": record["description"], "state": record["state"], "created_at": record["created_at"],
        "updated_at": record["updated_at"], "merged_by": None, "merged_at": None, "closed_at": None,
        "target_branch": record["target_branch"], "source_branch": record["source_branch"],
        "author": author, "assignees": [], "reviewers": [], "labels": list(record["labels"]), "draft": False,
        "work_in_progress": False, "merge_status": "can_be_merged", "detailed_merge_status": "mergeable",
        "sha": record["sha"], "user_notes_count": record["notes"],
        "diff_refs": {"base_sha": record["base_sha"], "head_sha": record["sha"], "start_sha": record["base_sha"]},
        "web_url": f"{web}/{path}/-/merge_requests/{record['iid']}",
        "references": _references(path, "!", record["iid"]),
    }  # fmt: skip


def note(record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "type": None, "body": record["body"], "attachment": None, "author": author,
        "created_at": record["created_at"], "updated_at": record["updated_at"], "system": record["system"],
        "noteable_id": record["noteable_id"], "noteable_type": KINDS[record["kind"]],
        "noteable_iid": record["iid"], "project_id": record["project_id"], "resolvable": False,
        "confidential": False, "internal": False, "imported": False, "imported_from": "none",
    }  # fmt: skip


def award(record: Json, note_id: int, author: Json) -> Json:
    return {
        "id": record["id"], "name": record["name"], "user": author, "created_at": record["created_at"],
        "updated_at": record["created_at"], "awardable_id": note_id, "awardable_type": "Note", "url": None,
    }  # fmt: skip


def pipeline(web: str, path: str, record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "iid": record["iid"], "project_id": record["project_id"], "sha": record["sha"],
        "ref": record["ref"], "status": record["status"], "source": "api", "tag": False, "yaml_errors": None,
        "created_at": record["created_at"], "updated_at": record["updated_at"], "started_at": None,
        "finished_at": None, "committed_at": None, "duration": None, "queued_duration": None, "coverage": None,
        "before_sha": "0" * 40, "user": author, "web_url": f"{web}/{path}/-/pipelines/{record['id']}",
        "detailed_status": {"icon": f"status_{record['status']}", "text": record["status"], "group": record["status"]},
    }  # fmt: skip


def commit_status(record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "sha": record["sha"], "ref": record["ref"], "status": record["status"],
        "name": record["name"], "target_url": record["target_url"], "description": record["description"],
        "created_at": record["created_at"], "started_at": None, "finished_at": None, "allow_failure": False,
        "coverage": None, "author": author, "pipeline_id": record.get("pipeline_id"),
    }  # fmt: skip


def file_diff(path: str) -> Json:
    """One entry of ``GET /projects/:id/merge_requests/:iid/diffs`` (GitLab 15.7 and later)."""
    return {
        "old_path": path, "new_path": path, "a_mode": "100644", "b_mode": "100644", "diff": "@@ -1 +1 @@\n-old\n+new\n",
        "new_file": False, "renamed_file": False, "deleted_file": False, "generated_file": False,
    }  # fmt: skip
