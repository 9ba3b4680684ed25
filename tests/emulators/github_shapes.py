"""GitHub REST v3 JSON shapes, rendered for the base URL the client used.

PyGithub follows the ``url`` fields of the objects it receives (``issue.url +
"/comments"``...), so every URL must point back at the emulator; the store keeps
plain records and these functions render them per request.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
DOCS = "https://docs.github.com/rest"
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, ident: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def error(status: int, message: str, **extra: Any) -> tuple[int, Json]:
    return status, {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


def user(api: str, login: str, ident: int) -> Json:
    return {
        "login": login, "id": ident, "node_id": node_id("User", ident),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ident}?v=4", "gravatar_id": "",
        "url": f"{api}/users/{login}", "html_url": f"https://github.com/{login}",
        "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": False,
    }  # fmt: skip


def repo(api: str, record: Json, owner: Json) -> Json:
    full = record["full_name"]
    return {
        "id": record["id"], "node_id": node_id("Repository", record["id"]), "name": full.split("/")[1],
        "full_name": full, "private": False, "owner": owner, "html_url": f"https://github.com/{full}",
        "description": None, "fork": False, "url": f"{api}/repos/{full}",
        "default_branch": record["default_branch"], "visibility": "public",
        "created_at": record["created_at"], "updated_at": record["created_at"], "pushed_at": record["created_at"],
    }  # fmt: skip


def label(api: str, full: str, name: str) -> Json:
    ident = zlib.crc32(f"{full}:{name}".encode())
    return {
        "id": ident, "node_id": node_id("Label", ident), "url": f"{api}/repos/{full}/labels/{name}",
        "name": name, "color": "ededed", "default": False, "description": None,
    }  # fmt: skip


def issue(api: str, full: str, record: Json, author: Json) -> Json:
    url = f"{api}/repos/{full}/issues/{record['number']}"
    kind = "pull" if record["pull"] else "issues"
    data: Json = {
        "url": url, "repository_url": f"{api}/repos/{full}", "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments", "events_url": f"{url}/events",
        "html_url": f"https://github.com/{full}/{kind}/{record['number']}",
        "id": record["id"], "node_id": node_id("Issue", record["id"]), "number": record["number"],
        "title": record["title"], "user": author, "labels": [label(api, full, n) for n in record["labels"]],
        "state": record["state"], "state_reason": record["state_reason"], "locked": False,
        "assignee": None, "assignees": [], "milestone": None, "comments": record["comments"],
        "created_at": record["created_at"], "updated_at": record["updated_at"], "closed_at": record["closed_at"],
        "author_association": "NONE", "body": record["body"],
    }  # fmt: skip
    if record["pull"]:
        pull = f"https://github.com/{full}/pull/{record['number']}"
        data["pull_request"] = {
            "url": f"{api}/repos/{full}/pulls/{record['number']}", "html_url": pull,
            "diff_url": f"{pull}.diff", "patch_url": f"{pull}.patch", "merged_at": None,
        }  # fmt: skip
    return data


def pull(api: str, full: str, record: Json, author: Json, repository: Json) -> Json:
    data = issue(api, full, record, author)
    url = f"{api}/repos/{full}/pulls/{record['number']}"
    owner = full.split("/")[0]

    def side(ref: str, sha: str) -> Json:
        return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "user": repository["owner"], "repo": repository}

    data.update({
        "url": url, "issue_url": data["url"], "html_url": data["pull_request"]["html_url"],
        "node_id": node_id("PullRequest", record["id"]),
        "statuses_url": f"{api}/repos/{full}/statuses/{record['head_sha']}",
        "head": side(record["head_ref"], record["head_sha"]), "base": side(record["base_ref"], record["base_sha"]),
        "merged": False, "mergeable": None, "draft": False, "merged_at": None,
    })  # fmt: skip
    data.pop("pull_request")
    return data


def comment(api: str, full: str, record: Json, author: Json) -> Json:
    url = f"{api}/repos/{full}/issues/comments/{record['id']}"
    kind = "pull" if record["pull"] else "issues"
    counts = {c: sum(1 for r in record["reactions"] if r["content"] == c) for c in REACTIONS}
    return {
        "url": url, "html_url": f"https://github.com/{full}/{kind}/{record['number']}#issuecomment-{record['id']}",
        "issue_url": f"{api}/repos/{full}/issues/{record['number']}", "id": record["id"],
        "node_id": node_id("IssueComment", record["id"]), "user": author, "body": record["body"],
        "created_at": record["created_at"], "updated_at": record["updated_at"], "author_association": "NONE",
        "reactions": {"url": f"{url}/reactions", "total_count": len(record["reactions"]), **counts},
    }  # fmt: skip


def reaction(record: Json, author: Json) -> Json:
    return {
        "id": record["id"], "node_id": node_id("Reaction", record["id"]), "user": author,
        "content": record["content"], "created_at": record["created_at"],
    }  # fmt: skip


def deployment(api: str, full: str, record: Json, creator: Json) -> Json:
    url = f"{api}/repos/{full}/deployments/{record['id']}"
    return {
        "url": url, "id": record["id"], "node_id": node_id("Deployment", record["id"]), "sha": record["sha"],
        "ref": record["ref"], "task": record["task"], "payload": record["payload"],
        "original_environment": record["environment"], "environment": record["environment"],
        "description": record["description"], "creator": creator, "created_at": record["created_at"],
        "updated_at": record["created_at"], "statuses_url": f"{url}/statuses", "repository_url": f"{api}/repos/{full}",
        "transient_environment": record["transient_environment"],
        "production_environment": record["production_environment"],
    }  # fmt: skip


def deployment_status(api: str, full: str, deployment_id: int, record: Json, creator: Json) -> Json:
    url = f"{api}/repos/{full}/deployments/{deployment_id}"
    return {
        "url": f"{url}/statuses/{record['id']}", "id": record["id"],
        "node_id": node_id("DeploymentStatus", record["id"]),
        "state": record["state"], "creator": creator, "description": record["description"],
        "environment": record["environment"], "target_url": record["target_url"], "log_url": record["target_url"],
        "environment_url": record["environment_url"], "created_at": record["created_at"],
        "updated_at": record["created_at"], "deployment_url": url, "repository_url": f"{api}/repos/{full}",
    }  # fmt: skip


def check_run(api: str, full: str, record: Json) -> Json:
    url = f"{api}/repos/{full}/check-runs/{record['id']}"
    return {
        "id": record["id"], "node_id": node_id("CheckRun", record["id"]), "head_sha": record["sha"],
        "external_id": "", "url": url, "html_url": f"https://github.com/{full}/runs/{record['id']}",
        "details_url": record["details_url"], "status": record["status"], "conclusion": record["conclusion"],
        "started_at": record["created_at"], "completed_at": record["created_at"] if record["conclusion"] else None,
        "name": record["name"], "check_suite": {"id": record["id"]}, "pull_requests": [],
        "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                   "annotations_url": f"{url}/annotations"},
    }  # fmt: skip


def commit_status(api: str, full: str, record: Json) -> Json:
    return {
        "url": f"{api}/repos/{full}/statuses/{record['sha']}", "id": record["id"],
        "node_id": node_id("StatusContext", record["id"]), "state": record["state"],
        "description": record["description"], "target_url": record["target_url"], "context": record["context"],
        "created_at": record["created_at"], "updated_at": record["created_at"],
    }  # fmt: skip


def pull_file(api: str, full: str, record: Json, filename: str) -> Json:
    """One entry of ``GET /repos/{owner}/{repo}/pulls/{number}/files``."""
    blob = f"https://github.com/{full}/blob/{record['head_sha']}/{filename}"
    return {
        "sha": hashlib.sha256(filename.encode()).hexdigest()[:40], "filename": filename, "status": "modified",
        "additions": 1, "deletions": 1,
        "changes": 2, "blob_url": blob, "raw_url": blob.replace("/blob/", "/raw/"),
        "contents_url": f"{api}/repos/{full}/contents/{filename}?ref={record['head_sha']}",
        "patch": "@@ -1 +1 @@\n-old\n+new",
    }  # fmt: skip
