"""GitLab as a :class:`bot.ports.Chat`, over python-gitlab."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError

from bot.clients.blocking import off_loop
from bot.clients.forge_markup import gitlab_note
from bot.conversation.markers import find_marked, with_reply_marker
from bot.conversation.readers import MAX_CHECKS, MAX_FILES, MAX_POSTS, Check, Conversation, Post
from bot.deploys.model import NewDeployment
from bot.deploys.records import pipeline_variables
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.model import Button, ChatMessage, GitLabThread, Person, Place
from bot.text import strip_tokens

SERVICE = "GitLab"
EYES = "eyes"
SEARCH_LIMIT = 300  # newest notes searched for an earlier reply
BOT_USERNAME = re.compile(r"^(project|group)_\d+_bot(_[0-9a-f]+)?$")
T = TypeVar("T")

PLAIN = {
    401: "the token was refused (check GITLAB_TOKEN)",
    403: "the token lacks a permission this needs",
    404: "not found, or the token can't see it",
    409: "it conflicts with the project's current state",
}


def gitlab_call(func: Callable[[], T]) -> Callable[[], T]:
    """Wrap a blocking python-gitlab call so its errors come out in the core's words."""

    def run() -> T:
        try:
            return func()
        except GitlabError as exc:
            status = exc.response_code or 0
            if status == 429 or status >= 500:
                headers = getattr(getattr(exc, "response", None), "headers", None) or {}
                retry_after = headers.get("Retry-After")
                raise UpstreamUnavailable(
                    SERVICE, f"HTTP {status}", status=status, retry_after=float(retry_after) if retry_after else None
                ) from exc
            detail = PLAIN.get(status, f"HTTP {status}")
            raise UpstreamRejected(SERVICE, f"{detail} ({exc.error_message})", status=status) from exc
        except requests.RequestException as exc:
            raise UpstreamUnavailable(SERVICE, f"no answer ({exc.__class__.__name__})") from exc

    return run


def _note(text: str, reply_key: str) -> str:
    """A note body: rendered and cut to GitLab's limit, the reply marker kept whole at its end."""
    return gitlab_note(text, suffix=with_reply_marker("", reply_key))


def _thread(place: Place) -> GitLabThread:
    if not isinstance(place, GitLabThread):
        raise TypeError(f"GitLabChat can't post to {place.platform}")
    return place


class GitLabChat:
    def __init__(self, client: gitlab.Gitlab) -> None:
        self._gl = client

    def _noteable(self, thread: GitLabThread, *, lazy: bool = True) -> Any:
        project = self._gl.projects.get(thread.project, lazy=True)
        manager = project.mergerequests if thread.kind == "merge_request" else project.issues
        return manager.get(thread.iid, lazy=lazy)

    async def acknowledge(self, message: ChatMessage) -> None:
        thread = _thread(message.place)
        if not message.source_id:
            return

        def award() -> None:
            note = self._noteable(thread).notes.get(int(message.source_id or 0), lazy=True)
            try:
                note.awardemojis.create({"name": EYES})
            except GitlabError as exc:
                # Awarding the same emoji twice is refused as "already taken":
                # for a re-run job that means the acknowledgement is there.
                if "already been taken" not in str(exc.error_message):
                    raise

        await off_loop(gitlab_call(award))

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        # No buttons on the forges: the text already says what to type.
        thread = _thread(place)

        def note() -> str:
            created = self._noteable(thread).notes.create({"body": _note(text, reply_key)})
            return str(created.id)

        return await off_loop(gitlab_call(note))

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        thread = _thread(place)

        def search() -> str | None:
            notes = self._noteable(thread).notes.list(iterator=True, order_by="created_at", sort="desc", per_page=100)
            return find_marked(((str(n.id), n.body) for n in islice(notes, SEARCH_LIMIT)), reply_key)

        return await off_loop(gitlab_call(search))

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        # No buttons on the forges: the text already says what to type.
        thread = _thread(place)

        def edit() -> None:
            note = self._noteable(thread).notes.get(int(message_id), lazy=True)
            note.body = _note(text, reply_key)
            note.save()

        await off_loop(gitlab_call(edit))

    async def conversation(self, place: Place, *, exclude: str | None = None) -> Conversation:
        thread = _thread(place)

        def read() -> Conversation:
            target = self._noteable(thread, lazy=False)
            # Newest first, GitLab's own "changed the description" notes left out.
            notes = target.notes.list(iterator=True, order_by="created_at", sort="desc", per_page=100)
            posts = [
                Post(f"gitlab:{note.author['username']}", strip_tokens(note.body or ""), _is_bot(note.author))
                for note in islice(notes, SEARCH_LIMIT)
                if not note.system and str(note.id) != exclude
            ][:MAX_POSTS]
            found = Conversation(
                kind=thread.kind.replace("_", " "),
                title=strip_tokens(target.title or ""),
                body=strip_tokens(target.description) if target.description else target.description,
                url=target.web_url,
                posts=tuple(reversed(posts)),
            )
            if thread.kind != "merge_request":
                return found
            diffs = self._gl.http_list(
                f"/projects/{target.project_id}/merge_requests/{thread.iid}/diffs", iterator=True, per_page=100
            )
            return replace(
                found,
                head_ref=str(target.source_branch),
                head_sha=str(target.sha),
                changed_files=tuple(str(d["new_path"]) for d in islice(diffs, MAX_FILES)),
                checks=_checks(self._gl, thread.project, str(target.sha)),
            )

        return await off_loop(gitlab_call(read))


def _is_bot(author: dict[str, Any]) -> bool:
    """GitLab marks bot users (project and group access tokens, service accounts) by name and flag."""
    return bool(author.get("bot")) or bool(BOT_USERNAME.match(str(author.get("username", ""))))


def _checks(client: gitlab.Gitlab, project: str, sha: str) -> tuple[Check, ...]:
    """The commit's statuses: one per CI job, and external CI's statuses."""
    statuses = (
        client.projects.get(project, lazy=True).commits.get(sha, lazy=True).statuses.list(iterator=True, per_page=100)
    )
    return tuple(Check(str(s.name), str(s.status).lower(), s.target_url) for s in islice(statuses, MAX_CHECKS))


DEVELOPER = 30  # GitLab's access level that may push and run pipelines


class GitLabForge:
    """GitLab pipelines as a :class:`bot.deploys.ports.Forge`."""

    def __init__(self, client: gitlab.Gitlab) -> None:
        self._gl = client

    async def resolve(self, repo: str, ref: str | None) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            project = self._gl.projects.get(repo)
            name = ref or str(project.default_branch)
            return name, str(project.commits.get(name).id)

        return await off_loop(gitlab_call(run))

    async def change_head(self, repo: str, number: int) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            request = self._gl.projects.get(repo, lazy=True).mergerequests.get(number)
            return str(request.source_branch), str(request.sha)

        return await off_loop(gitlab_call(run))

    async def may_push(self, repo: str, person: Person) -> bool:
        def run() -> bool:
            users = self._gl.users.list(username=person.id, get_all=False)
            if not users:
                return False
            member = self._gl.projects.get(repo, lazy=True).members_all.get(users[0].id)
            return int(member.access_level) >= DEVELOPER

        try:
            return await off_loop(gitlab_call(run))
        except UpstreamRejected as refused:
            if refused.status == 404:  # not a member at all
                return False
            raise

    async def create(self, new: NewDeployment) -> tuple[str, str | None]:
        def run() -> tuple[str, str | None]:
            pipeline = self._gl.projects.get(new.repo, lazy=True).pipelines.create(
                {
                    "ref": new.ref,  # GitLab runs pipelines on refs; the sha is checked below
                    "variables": [{"key": key, "value": value} for key, value in pipeline_variables(new).items()],
                }
            )
            if str(pipeline.sha) != new.sha:
                # The branch moved after it was checked (or approved): don't run what nobody looked at.
                pipeline.cancel()
                raise UpstreamRejected(
                    SERVICE, f"`{new.ref}` moved to {str(pipeline.sha)[:7]} while the deploy was prepared; ask again"
                )
            return str(pipeline.id), getattr(pipeline, "web_url", None)

        return await off_loop(gitlab_call(run))

    async def checks(self, repo: str, sha: str) -> tuple[Check, ...]:
        return await off_loop(gitlab_call(lambda: _checks(self._gl, repo, sha)))

    async def list_branches(self, repo: str, limit: int) -> tuple[str, ...]:
        def run() -> tuple[str, ...]:
            project = self._gl.projects.get(repo)
            default = str(project.default_branch)
            # An iterator fetches pages as they are read: thousands of branches cost a page.
            listed = project.branches.list(iterator=True, per_page=100)
            others = (str(branch.name) for branch in listed if branch.name != default)
            return (default, *islice(others, max(limit - 1, 0)))[:limit]

        return await off_loop(gitlab_call(run))
