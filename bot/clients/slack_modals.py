"""Slack modals over slack_sdk's AsyncWebClient: opened from a trigger, changed in place by id.

A trigger id is good for one ``views.open`` within three seconds of the click or command
that made it, so :meth:`SlackModals.open` is called on the request path, before the
acknowledgement; everything slower then changes the open view from a job.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack import slack_call
from bot.clients.slack_deploy_form import form_view, text_view
from bot.deploys.form import DeployForm, OpenView
from bot.errors import UpstreamRejected

# views.update's answers for a view that is no longer the one meant: closed by the person
# (or never opened), or changed since the version given.
GONE = {"not_found", "hash_conflict"}


class SlackModals:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def open(self, trigger_id: str, view: dict[str, Any]) -> OpenView:
        async with slack_call():
            opened = await self._client.views_open(trigger_id=trigger_id, view=view)
        shown = opened.get("view") or {}
        return OpenView(str(shown.get("id") or ""), str(shown.get("hash") or "") or None)

    async def update(self, view: OpenView, body: dict[str, Any]) -> bool:
        """Replace the view's content; False when it is gone or changed meanwhile."""
        try:
            async with slack_call():
                await self._client.views_update(view_id=view.id, hash=view.version, view=body)
        except UpstreamRejected as refused:
            if refused.code in GONE:
                return False
            raise
        return True


class SlackDeployForm:
    """The deploy form as a :class:`bot.deploys.ports.FormView`, in a Slack modal."""

    def __init__(self, modals: SlackModals) -> None:
        self._modals = modals

    async def show(self, view: OpenView, form: DeployForm) -> bool:
        return await self._modals.update(view, form_view(form))

    async def finish(self, view: OpenView, text: str) -> bool:
        return await self._modals.update(view, text_view(text, close="Done"))
