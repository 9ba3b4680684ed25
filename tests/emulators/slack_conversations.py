"""Slack's conversations.* methods: threads, history, and channel membership."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from .base import Reply
from .slack_state import Params, SlackState, error, flag, ok

CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
NAME_LIMIT = 80


def name_problem(name: str) -> str | None:
    """The error Slack's conversations.create answers for a name it refuses, if any."""
    if not name.strip():
        return "invalid_name_required"
    if len(name) > NAME_LIMIT:
        return "invalid_name_maxlength"
    if not CHANNEL_NAME.fullmatch(name):
        return "invalid_name_specials"
    return None


class ConversationMethods(SlackState):
    def conversation_methods(self) -> dict[str, Callable[[Params], Reply]]:
        return {
            "conversations.replies": self._replies,
            "conversations.history": self._history,
            "conversations.create": self._create,
            "conversations.invite": self._invite,
            "conversations.join": self._join,
        }

    def _replies(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return error("channel_not_found")
        message = self._find(cid, params.get("ts"))
        if message is None:
            return error("thread_not_found")
        root = message.get("thread_ts", message["ts"])
        thread = [m for m in self._messages[cid] if m["ts"] == root or m.get("thread_ts") == root]
        # Oldest first, ``limit`` (default and most 1000) at a time; the cursor
        # names the first message of the next page, as Slack's "next_ts:…" does.
        limit = max(1, min(int(params.get("limit") or 1000), 1000))
        if params.get("cursor"):
            start = base64.b64decode(params["cursor"]).decode().removeprefix("next_ts:")
            thread = [m for m in thread if float(m["ts"]) >= float(start)]
        page, more = thread[:limit], len(thread) > limit
        fields: Params = {"messages": self._visible(page, params), "has_more": more}
        if more:
            fields["response_metadata"] = {
                "next_cursor": base64.b64encode(f"next_ts:{thread[limit]['ts']}".encode()).decode()
            }
        return ok(**fields)

    def _history(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return error("channel_not_found")
        if self.bot_user_id not in self._channels[cid]["members"]:
            return error("not_in_channel")
        oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or "inf")
        limit = int(params.get("limit") or 100)
        if params.get("cursor"):
            latest = float(base64.b64decode(params["cursor"]).decode().removeprefix("next_ts:"))
        # Thread replies stay in their thread; newest first, as Slack returns them.
        top = [m for m in self._messages[cid] if m.get("thread_ts", m["ts"]) == m["ts"]]
        window = [m for m in reversed(top) if oldest < float(m["ts"]) < latest]
        page, more = window[:limit], len(window) > limit
        fields: Params = {"messages": self._visible(page, params), "has_more": more}
        if more:
            cursor = base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode()
            fields["response_metadata"] = {"next_cursor": cursor}
        return ok(**fields)

    def _create(self, params: Params) -> Reply:
        name = str(params.get("name", ""))
        if (problem := name_problem(name)) is not None:
            return error(problem)
        if any(c["name"] == name for c in self._channels.values()):
            return error("name_taken")
        cid = self.add_channel(name, is_private=flag(params.get("is_private")))
        return ok(channel=self._public(cid))

    def _invite(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return error("channel_not_found")
        members: list[str] = self._channels[cid]["members"]
        if self.bot_user_id not in members:
            return error("not_in_channel")
        for user in str(params.get("users", "")).split(","):
            if user == self.bot_user_id:
                return error("cant_invite_self")
            if user not in self._users:
                return error("user_not_found")
            if user in members:
                return error("already_in_channel", errors=[{"user": user, "ok": False, "error": "already_in_channel"}])
            members.append(user)
        return ok(channel=self._public(cid))

    def _join(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return error("channel_not_found")
        channel = self._channels[cid]
        if channel["is_private"]:
            return error("method_not_supported_for_channel_type")
        if self.bot_user_id in channel["members"]:
            # Joining again succeeds, with a warning.
            warning = "already_in_channel"
            return ok(channel=self._public(cid), warning=warning, response_metadata={"warnings": [warning]})
        channel["members"].append(self.bot_user_id)
        channel["is_member"] = True
        return ok(channel=self._public(cid))
