"""GitHub as a :class:`bot.ports.Chat`, over PyGithub.

Authentication is a token, or a GitHub App whose installation token is
looked up per repository. PyGithub's own retries are switched off: the
worker owns the retry policy, so a rate limit can't hold a thread for a
minute out of sight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.Issue import Issue
from github.Repository import Repository

from bot.clients.blocking import off_loop
from bot.clients.forge_markup import github_body
from bot.conversation.markers import find_marked, with_reply_marker
from bot.conversation.readers import MAX_CHECKS, MAX_FILES, MAX_POSTS, Check, Conversation, Post
from bot.deploys.model import NewDeployment
from bot.deploys.records import deployment_payload
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.model import Button, ChatMessage, GitHubThread, Person, Place
from bot.text import strip_tokens

SERVICE = "GitHub"
PER_PAGE = 100  # GitHub's maximum; the page arithmetic below relies on it
EYES = "eyes"
T = TypeVar("T")

PLAIN = {
    401: "the credentials were refused (check GITHUB_TOKEN or the App's key)",
    403: "the token or App lacks a permission this needs",
    404: "not found, or the token or App can't see it",
    409: "it conflicts with the repository's current state",
    422: "GitHub could not process it",
}


def github_call(func: Callable[[], T]) -> Callable[[], T]:
    """Wrap a blocking PyGithub call so its errors come out in the core's words."""

    def run() -> T:
        try:
            return func()
        except GithubException as exc:
            status = exc.status
            headers = exc.headers or {}
            limited = status == 429 or (status == 403 and headers.get("x-ratelimit-remaining") == "0")
            if limited or status >= 500:
                retry_after = headers.get("retry-after")
                raise UpstreamUnavailable(
                    SERVICE,
                    "rate limited" if limited else f"server error {status}",
                    status=status,
                    retry_after=float(retry_after) if retry_after else None,
                ) from exc
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            detail = PLAIN.get(status, f"HTTP {status}")
            raise UpstreamRejected(SERVICE, f"{detail}{f' ({message})' if message else ''}", status=status) from exc
        except requests.RequestException as exc:
            raise UpstreamUnavailable(SERVICE, f"no answer ({exc.__class__.__name__})") from exc

    return run


class GitHubConnector:
    """Hands out an authenticated PyGithub client for a repository."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        app_id: str | None = None,
        private_key: str | None = None,
        write_interval: float | None = 1.0,
    ) -> None:
        self._base_url = base_url
        self._write_interval = write_interval
        self._lock = threading.Lock()
        self._by_installation: dict[int, Github] = {}
        self._token_client = self._client(Auth.Token(token)) if token else None
        self._app_auth = Auth.AppAuth(int(app_id), private_key) if app_id and private_key else None
        self._integration = GithubIntegration(auth=self._app_auth, **self._http_options()) if self._app_auth else None

    def _client(self, auth: Auth.Auth) -> Github:
        # GitHub asks integrators to space out writes to stay clear of its
        # secondary rate limits; PyGithub does the spacing per client.
        return Github(auth=auth, lazy=True, per_page=PER_PAGE, **self._http_options())

    def _http_options(self) -> dict[str, Any]:
        """How every client of this connector talks to GitHub, the App's own included: no retries
        of PyGithub's (the worker retries jobs), a timeout, and writes spaced out."""
        return {
            "base_url": self._base_url,
            "timeout": 15,
            "retry": None,
            "seconds_between_requests": None,
            "seconds_between_writes": self._write_interval,
        }

    @property
    def app(self) -> GithubIntegration | None:
        """The App itself, authenticated by a JWT, for its own endpoints under ``/app``; None with a token."""
        return self._integration

    @property
    def token_client(self) -> Github | None:
        """The client of ``GITHUB_TOKEN``, when that is the credential."""
        return self._token_client

    def for_repo(self, repo: str) -> Github:
        """Blocking: call from a worker thread."""
        if self._token_client is not None:
            return self._token_client
        if self._integration is None or self._app_auth is None:
            raise UpstreamRejected(SERVICE, "no GitHub credentials are configured")
        owner, name = repo.split("/", 1)
        installation = self._integration.get_repo_installation(owner, name)
        with self._lock:
            client = self._by_installation.get(installation.id)
            if client is None:
                # Installation tokens expire after an hour; this auth renews them.
                client = self._client(self._app_auth.get_installation_auth(installation.id))
                self._by_installation[installation.id] = client
            return client


def _comment(text: str, reply_key: str) -> str:
    """A comment body: rendered and cut to GitHub's limit, the reply marker kept whole at its end."""
    return github_body(text, suffix=with_reply_marker("", reply_key))


def _thread(place: Place) -> GitHubThread:
    if not isinstance(place, GitHubThread):
        raise TypeError(f"GitHubChat can't post to {place.platform}")
    return place


class GitHubChat:
    def __init__(self, connector: GitHubConnector) -> None:
        self._connector = connector

    async def acknowledge(self, message: ChatMessage) -> None:
        thread = _thread(message.place)
        if not message.source_id:
            return
        kind, _, comment_id = message.source_id.partition(":")

        def react() -> None:
            repo = self._connector.for_repo(thread.repo).get_repo(thread.repo)
            if kind == "review_comment":
                repo.get_pull(thread.number).get_review_comment(int(comment_id)).create_reaction(EYES)
            else:
                repo.get_issue(thread.number).get_comment(int(comment_id)).create_reaction(EYES)

        # GitHub answers 200 with the existing reaction when it is already
        # there, so a re-run job can react again safely.
        await off_loop(github_call(react))

    def _issue(self, thread: GitHubThread) -> Issue:
        return self._connector.for_repo(thread.repo).get_repo(thread.repo).get_issue(thread.number)

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        # No buttons on the forges: the text already says what to type.
        thread = _thread(place)

        def comment() -> str:
            return str(self._issue(thread).create_comment(_comment(text, reply_key)).id)

        return await off_loop(github_call(comment))

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        thread = _thread(place)

        def search() -> str | None:
            comments = self._issue(thread).get_comments(since=datetime.fromtimestamp(since, tz=UTC))
            return find_marked(((str(c.id), c.body) for c in comments), reply_key)

        return await off_loop(github_call(search))

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        # No buttons on the forges: the text already says what to type.
        thread = _thread(place)

        def edit() -> None:
            self._issue(thread).get_comment(int(message_id)).edit(_comment(text, reply_key))

        await off_loop(github_call(edit))

    async def conversation(self, place: Place, *, exclude: str | None = None) -> Conversation:
        thread = _thread(place)
        # Source ids read "issue_comment:<id>"; a review comment is not among the issue's comments.
        kind, _, ident = (exclude or "").rpartition(":")
        skip = ident if ident and kind in ("", "issue_comment") else None

        def read() -> Conversation:
            repo = self._connector.for_repo(thread.repo).get_repo(thread.repo)
            issue = repo.get_issue(thread.number)
            found = Conversation(
                kind="pull request" if thread.is_pull_request else "issue",
                title=strip_tokens(issue.title or ""),
                body=strip_tokens(issue.body) if issue.body else issue.body,
                url=issue.html_url,
                posts=_newest_posts(issue, skip),
            )
            if not thread.is_pull_request:
                return found
            pull = repo.get_pull(thread.number)
            return replace(
                found,
                head_ref=pull.head.ref,
                head_sha=pull.head.sha,
                changed_files=tuple(f.filename for f in islice(pull.get_files(), MAX_FILES)),
                checks=_checks(repo, pull.head.sha),
            )

        return await off_loop(github_call(read))


def _newest_posts(issue: Issue, skip: str | None) -> tuple[Post, ...]:
    """The newest MAX_POSTS comments, oldest first.

    GitHub lists comments oldest first only, so the issue's comment count says
    which page is the last; that page and at most one before it are read, however
    long the thread. Comments written after the count was taken may be missed:
    they came after the question.
    """
    pages = issue.get_comments()
    last = max(issue.comments - 1, 0) // PER_PAGE
    kept: list[Post] = []
    for page in range(last, max(last - 2, -1), -1):
        kept[:0] = [
            Post(f"github:{c.user.login}", strip_tokens(c.body or ""), c.user.type == "Bot")
            for c in pages.get_page(page)
            if str(c.id) != skip
        ]
        if len(kept) >= MAX_POSTS:
            break
    return tuple(kept[-MAX_POSTS:])


def _checks(repo: Repository, sha: str) -> tuple[Check, ...]:
    """Check runs (GitHub Actions and Apps) and commit statuses (older CI) of one commit."""
    commit = repo.get_commit(sha)
    found = [
        Check(run.name, (run.conclusion or run.status or "unknown").lower(), run.details_url or run.html_url)
        for run in islice(commit.get_check_runs(), MAX_CHECKS)
    ]
    found += [
        Check(status.context, status.state.lower(), status.target_url)
        for status in commit.get_combined_status().statuses[: MAX_CHECKS - len(found)]
    ]
    return tuple(found)


WRITE_PERMISSIONS = {"admin", "maintain", "write"}


class GitHubForge:
    """GitHub Deployments as a :class:`bot.deploys.ports.Forge`."""

    def __init__(self, connector: GitHubConnector) -> None:
        self._connector = connector

    def _repo(self, repo: str) -> Repository:
        return self._connector.for_repo(repo).get_repo(repo)

    async def resolve(self, repo: str, ref: str | None) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            found = self._repo(repo)
            name = ref or found.default_branch
            commit = found.get_commit(name)
            commit.update()  # a lazy commit's "sha" is just the name it was asked for
            return name, commit.sha

        return await off_loop(github_call(run))

    async def change_head(self, repo: str, number: int) -> tuple[str, str]:
        def run() -> tuple[str, str]:
            head = self._repo(repo).get_pull(number).head
            return head.ref, head.sha

        return await off_loop(github_call(run))

    async def may_push(self, repo: str, person: Person) -> bool:
        def run() -> bool:
            return self._repo(repo).get_collaborator_permission(person.id) in WRITE_PERMISSIONS

        return await off_loop(github_call(run))

    async def create(self, new: NewDeployment) -> tuple[str, str | None]:
        def run() -> tuple[str, str | None]:
            deployment = self._repo(new.repo).create_deployment(
                ref=new.sha,  # the exact commit that was checked (and approved), not a moving branch
                environment=new.environment,
                description=(
                    f"{new.service} {new.ref} to {new.environment}, requested by {new.requester.handle} via opsbot"
                ),
                payload=deployment_payload(new),
                production_environment=new.protected,
                auto_merge=False,  # never merge the default branch into the ref behind people's backs
                transient_environment=False,
            )
            return str(deployment.id), deployment.url

        return await off_loop(github_call(run))

    async def checks(self, repo: str, sha: str) -> tuple[Check, ...]:
        return await off_loop(github_call(lambda: _checks(self._repo(repo), sha)))

    async def list_branches(self, repo: str, limit: int) -> tuple[str, ...]:
        def run() -> tuple[str, ...]:
            found = self._repo(repo)
            default = found.default_branch
            # Pages are fetched as they are read: a repository with thousands of branches costs a page.
            others = (branch.name for branch in found.get_branches() if branch.name != default)
            return (default, *islice(others, max(limit - 1, 0)))[:limit]

        return await off_loop(github_call(run))
