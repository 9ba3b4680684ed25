"""Slack's Home tab methods: ``views.publish`` and the channels a person is in (``users.conversations``).

views.publish refuses what Slack refuses: a missing required argument (Slack's own method
description), a user it doesn't know, a view that isn't a Home, more than 100 blocks, and any block
slack_sdk's Block Kit models reject (unknown types, text over its limit, bad elements).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View

from .base import Reply
from .slack_blocks import blocks_problem
from .slack_spec import missing_arguments
from .slack_state import Params, SlackState, decoded, error, flag, ok

VIEW_BLOCK_LIMIT = 100
CHANNEL_TYPES = {"public_channel", "private_channel", "mpim", "im"}


def view_problem(view: object) -> str | None:
    """Why Slack would refuse this Home view (``invalid_arguments``), if it would."""
    if not isinstance(view, dict):
        return "view must be a JSON object"
    if view.get("type") != "home":
        return "views.publish takes a home view"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return "a view needs blocks"
    if len(blocks) > VIEW_BLOCK_LIMIT:
        return f"must be less than {VIEW_BLOCK_LIMIT + 1} items [json-pointer:/view/blocks]"

    if (problem := blocks_problem(blocks, limit=VIEW_BLOCK_LIMIT)) is not None:
        return problem
    try:
        View(**view).to_dict()  # the view's own fields: private_metadata, callback_id…
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        return str(exc)
    return None


class HomeMethods(SlackState):
    def reset_state(self) -> None:
        super().reset_state()
        self._homes: dict[str, list[Params]] = {}

    def home_methods(self) -> dict[str, Callable[[Params], Reply]]:
        return {"views.publish": self._publish, "users.conversations": self._users_conversations}

    # -- test-side inspection ---------------------------------------------------------------
    def homes(self, user: str) -> list[Params]:
        """Every Home view published for ``user``, oldest first."""
        with self._lock:
            return copy.deepcopy(self._homes.get(user, []))

    def home(self, user: str) -> Params:
        """The Home ``user`` sees now."""
        published = self.homes(user)
        if not published:
            raise KeyError(f"no Home was published for {user}")
        return published[-1]

    # -- methods ----------------------------------------------------------------------------
    def _publish(self, params: Params) -> Reply:
        if missing := missing_arguments("views.publish", params):
            return error("invalid_arguments", response_metadata={"messages": [f"missing {m}" for m in missing]})
        user = str(params["user_id"])
        if user not in self._users:
            return error("user_not_found")
        view = decoded(params["view"])
        if (problem := view_problem(view)) is not None:
            return error("invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}"]})
        published = self._homes.setdefault(user, [])
        stored = {**view, "id": f"VHOME{len(published) + 1:04d}", "team_id": self.team_id, "hash": self._next_ts()}
        published.append(stored)
        return ok(view=copy.deepcopy(stored))

    def _users_conversations(self, params: Params) -> Reply:
        user = str(params.get("user") or self.bot_user_id)  # without one, the caller's own
        if user not in self._users:
            return error("user_not_found")
        types = set(str(params.get("types") or "public_channel").split(","))
        if not types <= CHANNEL_TYPES:
            return error("invalid_types")
        limit = int(params.get("limit") or 100)
        if not 1 <= limit <= 1000:
            return error("invalid_limit")
        start = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
        found = [
            self._public(cid)
            for cid, channel in self._channels.items()
            if user in channel["members"]
            and ("private_channel" if channel["is_private"] else "public_channel") in types
            # Private channels only where the caller is a member too.
            and (not channel["is_private"] or self.bot_user_id in channel["members"])
            and not (flag(params.get("exclude_archived")) and channel["is_archived"])
        ]
        page, more = found[start : start + limit], len(found) > start + limit
        cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return ok(channels=page, response_metadata={"next_cursor": cursor})
