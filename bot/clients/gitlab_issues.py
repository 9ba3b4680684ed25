"""GitLab issues as a :class:`bot.ports.IssueTracker`, over python-gitlab."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import Any

import gitlab

from bot.clients.blocking import off_loop
from bot.clients.forge_markup import gitlab_description, gitlab_title, to_markdown
from bot.clients.gitlab import gitlab_call
from bot.model import GitLabThread, Place
from bot.ports import TrackedIssue

SEARCH_LIMIT = 500  # see bot.clients.github_issues


class GitLabIssues:
    def __init__(self, client: gitlab.Gitlab) -> None:
        self._gl = client

    def _issues(self, repo: str) -> Any:
        return self._gl.projects.get(repo, lazy=True).issues

    async def find(self, repo: str, label: str, marker: str) -> TrackedIssue | None:
        marker = to_markdown(marker)  # as opsbot wrote it into the description

        def search() -> TrackedIssue | None:
            found = self._issues(repo).list(
                labels=[label], state="all", order_by="created_at", sort="desc", iterator=True, per_page=100
            )
            for issue in islice(found, SEARCH_LIMIT):
                if marker in (issue.description or ""):
                    return _tracked(issue)
            return None

        return await off_loop(gitlab_call(search))

    async def open(self, repo: str, title: str, body: str, labels: Sequence[str]) -> TrackedIssue:
        def create() -> TrackedIssue:
            created = self._issues(repo).create(
                {"title": gitlab_title(title), "description": gitlab_description(body), "labels": ",".join(labels)}
            )
            return _tracked(created)

        return await off_loop(gitlab_call(create))

    async def edit(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        add_labels: Sequence[str] = (),
        remove_labels: Sequence[str] = (),
        open: bool | None = None,
    ) -> None:
        def change() -> None:
            issue = self._issues(repo).get(number, lazy=True)
            if title is not None:
                issue.title = gitlab_title(title)
            if add_labels:
                issue.add_labels = ",".join(add_labels)
            if remove_labels:
                issue.remove_labels = ",".join(remove_labels)
            if open is not None:
                issue.state_event = "reopen" if open else "close"
            issue.save()

        await off_loop(gitlab_call(change))

    def place(self, repo: str, number: int) -> Place:
        return GitLabThread(project=repo, iid=number, kind="issue")


def _tracked(issue: Any) -> TrackedIssue:
    return TrackedIssue(
        number=int(issue.iid),
        title=str(issue.title),
        open=issue.state == "opened",
        labels=tuple(str(label) for label in issue.labels),
    )
