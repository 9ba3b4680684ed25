"""GitHub issues as a :class:`bot.ports.IssueTracker`, over PyGithub."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from github.GithubObject import NotSet
from github.Issue import Issue
from github.Repository import Repository

from bot.clients.blocking import off_loop
from bot.clients.forge_markup import github_body, github_title, to_markdown
from bot.clients.github import GitHubConnector, github_call
from bot.model import GitHubThread, Place
from bot.ports import TrackedIssue

# Newest issues searched for a marker: issues are only looked for this way
# when Redis forgot the number, so a bounded scan is enough.
SEARCH_LIMIT = 500


class GitHubIssues:
    def __init__(self, connector: GitHubConnector) -> None:
        self._connector = connector

    def _repo(self, repo: str) -> Repository:
        return self._connector.for_repo(repo).get_repo(repo)

    async def find(self, repo: str, label: str, marker: str) -> TrackedIssue | None:
        marker = to_markdown(marker)  # as opsbot wrote it into the description

        def search() -> TrackedIssue | None:
            found = self._repo(repo).get_issues(state="all", labels=[label], sort="created", direction="desc")
            for issue in islice(found, SEARCH_LIMIT):
                if issue.pull_request is None and marker in (issue.body or ""):
                    return _tracked(issue)
            return None

        return await off_loop(github_call(search))

    async def open(self, repo: str, title: str, body: str, labels: Sequence[str]) -> TrackedIssue:
        def create() -> TrackedIssue:
            return _tracked(
                self._repo(repo).create_issue(title=github_title(title), body=github_body(body), labels=list(labels))
            )

        return await off_loop(github_call(create))

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
            issue = self._repo(repo).get_issue(number)
            labels = [label.name for label in issue.labels if label.name not in remove_labels]
            issue.edit(
                title=NotSet if title is None else github_title(title),
                labels=labels + [label for label in add_labels if label not in labels],
                state=NotSet if open is None else ("open" if open else "closed"),
                state_reason=NotSet if open is None else ("reopened" if open else "completed"),
            )

        await off_loop(github_call(change))

    def place(self, repo: str, number: int) -> Place:
        return GitHubThread(repo=repo, number=number, is_pull_request=False)


def _tracked(issue: Issue) -> TrackedIssue:
    return TrackedIssue(
        number=int(issue.number),
        title=str(issue.title),
        open=issue.state == "open",
        labels=tuple(label.name for label in issue.labels),
    )
