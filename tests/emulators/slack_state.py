"""The Slack emulator's store: users, channels and their messages."""

from __future__ import annotations

import copy
import json
from typing import Any

from .base import Emulator, Reply

Params = dict[str, Any]
DEFAULT_TOKEN = "xoxb-test-token"


def ok(**fields: Any) -> Reply:
    return Reply(200, {"ok": True, **fields})


def error(code: str, **fields: Any) -> Reply:
    """Slack reports failures with HTTP 200; only rate limits change the status."""
    return Reply(200, {"ok": False, "error": code, **fields})


def flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def decoded(value: Any) -> Any:
    """Form bodies carry structured arguments (blocks, metadata) as JSON strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


class SlackState(Emulator):
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "opsbot",
        team_id: str = "T0001",
        team: str = "Acme",
        auto_create_channels: bool = True,
    ) -> None:
        super().__init__()
        self.token, self.bot_user_id, self.bot_id, self.bot_name = token, bot_user_id, bot_id, bot_name
        self.team_id, self.team = team_id, team
        # Posting to an unknown channel id creates it with the bot as a member, so tests
        # need not declare every channel; add_channel() makes one the bot is not in.
        self.auto_create_channels = auto_create_channels
        self.reset_state()

    def reset_state(self) -> None:
        self._channels: dict[str, Params] = {}
        self._messages: dict[str, list[Params]] = {}
        self._ephemeral: list[Params] = []
        self._responses: list[Params] = []
        self._pins: dict[str, list[str]] = {}
        self._users: dict[str, Params] = {}
        self._clock = 0
        self.add_user(self.bot_user_id, self.bot_name, is_bot=True)

    def add_user(self, user_id: str, name: str, *, real_name: str | None = None, is_bot: bool = False) -> None:
        with self._lock:
            self._users[user_id] = {
                "id": user_id, "team_id": self.team_id, "name": name, "deleted": False,
                "real_name": real_name or name, "tz": "Etc/UTC", "is_bot": is_bot, "is_admin": False,
                "profile": {"real_name": real_name or name, "display_name": name},
            }  # fmt: skip

    def add_channel(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        members: tuple[str, ...] = (),
        bot_member: bool = True,
        is_private: bool = False,
    ) -> str:
        """Returns the channel id (``C00000001``... unless given)."""
        with self._lock:
            cid = channel_id or f"C{len(self._channels) + 1:08d}"
            everyone = [*members, self.bot_user_id] if bot_member else list(members)
            self._channels[cid] = {
                "id": cid, "name": name, "name_normalized": name, "is_channel": not is_private,
                "is_group": is_private, "is_im": False, "is_private": is_private, "is_archived": False,
                "is_general": False, "created": 1700000000, "creator": self.bot_user_id,
                "is_member": bot_member, "members": everyone,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }  # fmt: skip
            self._messages[cid] = []
            return cid

    def _resolve(self, channel: Any, *, create: bool = True) -> str | None:
        """A channel id, or ``#name``/``name`` as chat.postMessage also accepts."""
        if not channel or not isinstance(channel, str):
            return None
        if channel in self._channels:
            return channel
        name = channel.removeprefix("#")
        for cid, info in self._channels.items():
            if info["name"] == name:
                return cid
        if create and self.auto_create_channels and not channel.startswith("#"):
            return self.add_channel(channel.lower(), channel_id=channel)
        return None

    def _next_ts(self) -> str:
        """Unique, increasing, and shaped like Slack's: seconds.microseconds."""
        self._clock += 1
        return f"{1700000000 + self._clock // 10000}.{self._clock % 10000 * 100:06d}"

    def _find(self, cid: str, ts: Any) -> Params | None:
        return next((m for m in self._messages[cid] if m["ts"] == ts), None)

    def _store(self, cid: str, message: Params, thread_ts: str | None, metadata: Params | None) -> Params:
        message["ts"] = self._next_ts()
        if thread_ts:
            parent = self._find(cid, thread_ts)
            if parent is not None:
                # A reply to a reply lands in the parent's thread.
                thread_ts = parent.get("thread_ts", parent["ts"])
                parent = self._find(cid, thread_ts) or parent
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                message["parent_user_id"] = parent.get("user")
            message["thread_ts"] = thread_ts
        if metadata:
            message["metadata"] = {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload")}
        self._messages[cid].append(message)
        return message

    def _bot_message(self, params: Params) -> Params:
        message: Params = {
            "type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": "A0BOT",
            "team": self.team_id, "text": params.get("text", ""),
        }  # fmt: skip
        if params.get("blocks"):
            message["blocks"] = decoded(params["blocks"])
        return message

    @staticmethod
    def _visible(messages: list[Params], params: Params) -> list[Params]:
        """What a reader sees: metadata only when it asked for all of it."""
        shown = copy.deepcopy(messages)
        if not flag(params.get("include_all_metadata")):
            for message in shown:
                message.pop("metadata", None)
        return shown

    def _public(self, cid: str) -> Params:
        info = copy.deepcopy(self._channels[cid])
        info["num_members"] = len(info.pop("members"))
        return info
