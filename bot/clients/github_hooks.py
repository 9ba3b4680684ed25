"""A GitHub webhook's delivery log and its redeliver button, as a :class:`bot.redelivery.ports.HookDeliveries`.

Three hooks have one: the App's own (``/app/hook``, authenticated as the App
with a JWT), a repository's and an organisation's (``/repos/{owner}/{repo}/hooks/{id}``,
``/orgs/{org}/hooks/{id}``, with the token). Each lists its deliveries newest
first at ``…/deliveries`` (cursor pagination, followed through the ``Link``
header as PyGithub does) and redelivers one on ``POST …/deliveries/{id}/attempts``
(202). PyGithub reads the list (``HookDeliverySummary``) but has no call for the
App's hook or for redelivering, so those go through its requester, with the
same authentication, timeouts and write spacing as every other GitHub call.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from urllib.parse import quote

from github.HookDelivery import HookDeliverySummary
from github.PaginatedList import PaginatedList
from github.Requester import Requester

from bot.clients.blocking import off_loop
from bot.clients.github import PER_PAGE, GitHubConnector, github_call
from bot.errors import UpstreamRejected
from bot.redelivery.model import NO_ANSWER, HookDelivery

MAX_LISTED = 10 * PER_PAGE  # ten pages at most per pass, however busy the hook


def _delivery(item: HookDeliverySummary) -> HookDelivery | None:
    """The core's value; None for an item missing what a redelivery needs."""
    if item.id is None or not item.guid or item.delivered_at is None:
        return None
    return HookDelivery(
        id=item.id,
        guid=item.guid,
        delivered_at=item.delivered_at.timestamp(),
        status_code=item.status_code or NO_ANSWER,
        event=item.event or "",
        action=item.action,
        redelivery=bool(item.redelivery),
    )


class GitHubHookDeliveries:
    def __init__(self, requester: Requester, path: str, hook: str) -> None:
        """``path`` is the hook's own (``/app/hook``, ``/repos/acme/api/hooks/12``)."""
        self._requester = requester
        self._path = path
        self.hook = hook

    @classmethod
    def of_app(cls, connector: GitHubConnector) -> GitHubHookDeliveries:
        if connector.app is None:
            raise UpstreamRejected("GitHub", "the App's webhook needs GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")
        return cls(connector.app.requester, "/app/hook", "the GitHub App's webhook")

    @classmethod
    def of_repo(cls, connector: GitHubConnector, repo: str, hook_id: int) -> GitHubHookDeliveries:
        client = connector.token_client
        if client is None:
            raise UpstreamRejected("GitHub", "a repository webhook's deliveries are read with GITHUB_TOKEN")
        owner, name = repo.split("/", 1)
        path = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/hooks/{hook_id}"
        return cls(client.requester, path, f"webhook {hook_id} of {repo}")

    @classmethod
    def of_org(cls, connector: GitHubConnector, org: str, hook_id: int) -> GitHubHookDeliveries:
        client = connector.token_client
        if client is None:
            raise UpstreamRejected("GitHub", "an organisation webhook's deliveries are read with GITHUB_TOKEN")
        return cls(client.requester, f"/orgs/{quote(org, safe='')}/hooks/{hook_id}", f"webhook {hook_id} of {org}")

    async def recent(self, since: float) -> Sequence[HookDelivery]:
        def read() -> list[HookDelivery]:
            pages = PaginatedList(
                HookDeliverySummary, self._requester, f"{self._path}/deliveries", {"per_page": PER_PAGE}
            )
            found: list[HookDelivery] = []
            for item in islice(pages, MAX_LISTED):
                delivery = _delivery(item)
                if delivery is None:
                    continue
                if delivery.delivered_at < since:
                    break  # newest first: the rest is older still
                found.append(delivery)
            return found

        return await off_loop(github_call(read))

    async def redeliver(self, delivery_id: int) -> None:
        def attempt() -> None:
            self._requester.requestJsonAndCheck("POST", f"{self._path}/deliveries/{delivery_id}/attempts")

        await off_loop(github_call(attempt))
