"""Slack Web API (``https://slack.com/api/<method>``), as slack_sdk's AsyncWebClient calls it.

slack_sdk sends some methods as JSON (chat.postMessage, chat.update), others as
query parameters or form bodies, with booleans turned into "1"/"0"; so arguments are
read from all three, and ``metadata``/``blocks`` may arrive as JSON strings. Slack
answers errors with HTTP 200 and ``{"ok": false, "error": ...}``, except rate limits.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

from .base import Emulator, Reply, Route, route
from .faults import ApiRequest

Params = dict[str, Any]
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,80}")


def _ok(**fields: Any) -> Reply:
    return Reply(200, {"ok": True, **fields})


def _error(code: str, **fields: Any) -> Reply:
    return Reply(200, {"ok": False, "error": code, **fields})


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _decoded(value: Any) -> Any:
    """Form bodies carry structured arguments as JSON strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


class SlackEmulator(Emulator):
    def __init__(
        self,
        token: str = "xoxb-test-token",
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
        # Posting to an unknown channel id creates it (bot as member), so tests need
        # not declare every channel; add_channel() makes one the bot is not in.
        self.auto_create_channels = auto_create_channels
        self.reset_state()

    def reset_state(self) -> None:
        self._channels: dict[str, Params] = {}
        self._messages: dict[str, list[Params]] = {}
        self._ephemeral: list[Params] = []
        self._pins: dict[str, list[str]] = {}
        self._users: dict[str, Params] = {}
        self._clock = 0
        self.add_user(self.bot_user_id, self.bot_name, is_bot=True)

    # -- test-side setup and inspection ---------------------------------------------------
    def add_user(self, user_id: str, name: str, *, real_name: str | None = None, is_bot: bool = False) -> None:
        with self._lock:
            self._users[user_id] = {
                "id": user_id, "team_id": self.team_id, "name": name, "deleted": False,
                "real_name": real_name or name, "tz": "Etc/UTC", "is_bot": is_bot, "is_admin": False,
                "profile": {"real_name": real_name or name, "display_name": name},
            }  # fmt: skip

    def add_channel(
        self, name: str, *, channel_id: str | None = None, members: tuple[str, ...] = (),
        bot_member: bool = True, is_private: bool = False,
    ) -> str:  # fmt: skip
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

    def add_message(
        self, channel: str, text: str, *, user: str = "U_ALICE", thread_ts: str | None = None,
        metadata: Params | None = None,
    ) -> str:  # fmt: skip
        """A message posted by someone else; returns its ts."""
        with self._lock:
            cid = self._resolve(channel)
            if cid is None:
                raise KeyError(channel)
            return self._store(cid, {"type": "message", "user": user, "text": text}, thread_ts, metadata)["ts"]

    @property
    def channels(self) -> dict[str, Params]:
        with self._lock:
            return copy.deepcopy(self._channels)

    def messages(self, channel: str) -> list[Params]:
        """Every message of the channel, thread replies included, oldest first."""
        with self._lock:
            cid = self._resolve(channel, create=False)
            return copy.deepcopy(self._messages.get(cid or "", []))

    def ephemeral(self) -> list[Params]:
        with self._lock:
            return copy.deepcopy(self._ephemeral)

    def pins(self, channel: str) -> list[str]:
        with self._lock:
            return list(self._pins.get(self._resolve(channel, create=False) or "", []))

    # -- plumbing ---------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [route("POST", "/api/{method}", self._call), route("GET", "/api/{method}", self._call)]

    def authenticate(self, request: ApiRequest) -> Reply | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else request.form.get("token")
        if not token:
            return _error("not_authed")
        return None if token == self.token else _error("invalid_auth")

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        if status == 404:
            return _error("unknown_method")
        return Reply(status, {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"})

    def _call(self, request: ApiRequest, method: str) -> Reply:
        params: Params = {**request.query, **request.form}
        if isinstance(request.json, dict):
            params.update(request.json)
        handler = self._methods().get(method)
        if handler is None:
            return _error("unknown_method", req_method=method)
        return handler(params)

    def _methods(self) -> dict[str, Any]:
        return {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message,
            "chat.update": self._update, "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._react, "conversations.replies": self._replies,
            "conversations.history": self._history, "conversations.create": self._create,
            "conversations.invite": self._invite, "conversations.join": self._join,
            "pins.add": self._pin, "users.info": self._user_info,
        }  # fmt: skip

    def _resolve(self, channel: str | None, *, create: bool = True) -> str | None:
        if not channel:
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
        self._clock += 1
        return f"{1700000000 + self._clock // 10000}.{self._clock % 10000 * 100:06d}"

    def _find(self, cid: str, ts: str | None) -> Params | None:
        return next((m for m in self._messages[cid] if m["ts"] == ts), None)

    def _store(self, cid: str, message: Params, thread_ts: str | None, metadata: Any) -> Params:
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
            message["metadata"] = {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}
        self._messages[cid].append(message)
        return message

    def _bot_message(self, params: Params) -> Params:
        message: Params = {
            "type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": "A0BOT",
            "team": self.team_id, "text": params.get("text", ""),
        }  # fmt: skip
        if params.get("blocks"):
            message["blocks"] = _decoded(params["blocks"])
        return message

    @staticmethod
    def _visible(messages: list[Params], params: Params) -> list[Params]:
        """What a reader sees: metadata only when it asked for all of it."""
        shown = copy.deepcopy(messages)
        if not _flag(params.get("include_all_metadata")):
            for message in shown:
                message.pop("metadata", None)
        return shown

    # -- methods ------------------------------------------------------------------------
    def _auth_test(self, params: Params) -> Reply:
        return _ok(
            url=f"https://{self.team.lower()}.slack.com/", team=self.team, user=self.bot_name,
            team_id=self.team_id, user_id=self.bot_user_id, bot_id=self.bot_id, is_enterprise_install=False,
        )  # fmt: skip

    def _post_message(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"))
        if cid is None:
            return _error("channel_not_found")
        if self.bot_user_id not in self._channels[cid]["members"]:
            return _error("not_in_channel")
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return _error("no_text")
        metadata = _decoded(params.get("metadata"))
        if metadata and not (isinstance(metadata, dict) and metadata.get("event_type")):
            return _error("invalid_metadata_format")
        message = self._store(cid, self._bot_message(params), params.get("thread_ts"), metadata)
        return _ok(channel=cid, ts=message["ts"], message=copy.deepcopy(message))

    def _update(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        message = self._find(cid, params.get("ts")) if cid else None
        if cid is None or message is None:
            return _error("message_not_found")
        if message.get("user") != self.bot_user_id:
            return _error("cant_update_message")
        message.update({k: v for k, v in self._bot_message(params).items() if k in ("text", "blocks")})
        if params.get("metadata"):
            message["metadata"] = _decoded(params["metadata"])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return _ok(channel=cid, ts=message["ts"], text=message["text"], message=copy.deepcopy(message))

    def _post_ephemeral(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"))
        if cid is None:
            return _error("channel_not_found")
        if params.get("user") not in self._users:
            return _error("user_not_found")
        ts = self._next_ts()
        entry = {"channel": cid, "user": params["user"], "text": params.get("text", ""), "ts": ts}
        entry.update({k: _decoded(params[k]) for k in ("thread_ts", "blocks") if params.get(k)})
        self._ephemeral.append(entry)
        return _ok(message_ts=ts)

    def _react(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        message = self._find(cid, params.get("timestamp")) if cid else None
        if cid is None or message is None:
            return _error("message_not_found")
        name = str(params.get("name", "")).strip(":")
        reactions: list[Params] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        elif self.bot_user_id in entry["users"]:
            return _error("already_reacted")
        else:
            entry["users"].append(self.bot_user_id)
            entry["count"] += 1
        return _ok()

    def _replies(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return _error("channel_not_found")
        message = self._find(cid, params.get("ts"))
        if message is None:
            return _error("thread_not_found")
        root = message.get("thread_ts", message["ts"])
        thread = [m for m in self._messages[cid] if m["ts"] == root or m.get("thread_ts") == root]
        return _ok(messages=self._visible(thread, params), has_more=False)

    def _history(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return _error("channel_not_found")
        if self.bot_user_id not in self._channels[cid]["members"]:
            return _error("not_in_channel")
        oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or "inf")
        limit = int(params.get("limit") or 100)
        if params.get("cursor"):
            latest = float(base64.b64decode(params["cursor"]).decode().removeprefix("next_ts:"))
        # Thread replies stay in their thread; newest first, as Slack returns them.
        top = [m for m in self._messages[cid] if m.get("thread_ts", m["ts"]) == m["ts"]]
        window = [m for m in reversed(top) if oldest < float(m["ts"]) < latest]
        page, more = window[:limit], len(window) > limit
        reply: Params = {"messages": self._visible(page, params), "has_more": more}
        if more:
            cursor = base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode()
            reply["response_metadata"] = {"next_cursor": cursor}
        return _ok(**reply)

    def _create(self, params: Params) -> Reply:
        name = str(params.get("name", ""))
        if not _CHANNEL_NAME.fullmatch(name):
            return _error("invalid_name_specials")
        if any(c["name"] == name for c in self._channels.values()):
            return _error("name_taken")
        cid = self.add_channel(name, is_private=_flag(params.get("is_private")))
        return _ok(channel=self._public(cid))

    def _invite(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return _error("channel_not_found")
        members: list[str] = self._channels[cid]["members"]
        if self.bot_user_id not in members:
            return _error("not_in_channel")
        for user in str(params.get("users", "")).split(","):
            if user == self.bot_user_id:
                return _error("cant_invite_self")
            if user not in self._users:
                return _error("user_not_found")
            if user in members:
                return _error("already_in_channel", errors=[{"user": user, "ok": False, "error": "already_in_channel"}])
            members.append(user)
        return _ok(channel=self._public(cid))

    def _join(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return _error("channel_not_found")
        channel = self._channels[cid]
        if channel["is_private"]:
            return _error("method_not_supported_for_channel_type")
        if self.bot_user_id in channel["members"]:
            warning = "already_in_channel"
            return _ok(channel=self._public(cid), warning=warning, response_metadata={"warnings": [warning]})
        channel["members"].append(self.bot_user_id)
        channel["is_member"] = True
        return _ok(channel=self._public(cid))

    def _pin(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None or self._find(cid, params.get("timestamp")) is None:
            return _error("message_not_found")
        pinned = self._pins.setdefault(cid, [])
        if params["timestamp"] in pinned:
            return _error("already_pinned")
        pinned.append(params["timestamp"])
        return _ok()

    def _user_info(self, params: Params) -> Reply:
        user = self._users.get(str(params.get("user")))
        return _ok(user=copy.deepcopy(user)) if user else _error("user_not_found")

    def _public(self, cid: str) -> Params:
        info = copy.deepcopy(self._channels[cid])
        info["num_members"] = len(info.pop("members"))
        return info
