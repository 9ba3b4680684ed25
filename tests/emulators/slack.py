"""Slack Web API (``https://slack.com/api/<method>``), as slack_sdk's AsyncWebClient calls it.

slack_sdk sends some methods as JSON (chat.postMessage, chat.update), others as
query parameters or form bodies, with booleans turned into "1"/"0"; so arguments are
read from all three, and ``metadata``/``blocks`` may arrive as JSON strings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from .base import Reply, Route, route
from .faults import ApiRequest
from .slack_blocks import blocks_problem
from .slack_conversations import ConversationMethods
from .slack_home import HomeMethods
from .slack_modals import ModalMethods
from .slack_state import Params, decoded, error, ok

TEXT_LIMIT = 40_000  # chat.postMessage/chat.update refuse longer text with msg_too_long


def message_problem(params: Params) -> Reply | None:
    if len(str(params.get("text") or "")) > TEXT_LIMIT:
        return error("msg_too_long")
    if (problem := blocks_problem(params.get("blocks"))) is not None:
        return error("invalid_blocks", errors=[problem])
    return None


class SlackEmulator(ModalMethods, ConversationMethods, HomeMethods):
    # -- test-side setup and inspection -----------------------------------------------------
    def add_message(
        self, channel: str, text: str, *, user: str = "U_ALICE", thread_ts: str | None = None,
        metadata: Params | None = None, bot_id: str | None = None,
    ) -> str:  # fmt: skip
        """A message posted by someone else (an app's bot user with ``bot_id``); returns its ts."""
        with self._lock:
            cid = self._resolve(channel)
            if cid is None:
                raise KeyError(f"no channel {channel!r}")
            message = {"type": "message", "user": user, "text": text} | ({"bot_id": bot_id} if bot_id else {})
            return str(self._store(cid, message, thread_ts, metadata)["ts"])

    @property
    def channels(self) -> dict[str, Params]:
        """Channels by id, with their ``members``."""
        with self._lock:
            return copy.deepcopy(self._channels)

    def messages(self, channel: str) -> list[Params]:
        """Every message of the channel (by id or name), thread replies included, oldest first."""
        with self._lock:
            cid = self._resolve(channel, create=False)
            return copy.deepcopy(self._messages.get(cid or "", []))

    def ephemeral(self) -> list[Params]:
        with self._lock:
            return copy.deepcopy(self._ephemeral)

    def responses(self) -> list[Params]:
        """What was posted to slash commands' ``response_url``s, oldest first."""
        with self._lock:
            return copy.deepcopy(self._responses)

    def response_url(self, trigger: str) -> str:
        """A ``response_url`` for a slash command, as Slack puts in the payload."""
        return f"{self.url}/commands/{self.team_id}/{trigger}/hooksecret"

    def pins(self, channel: str) -> list[str]:
        with self._lock:
            return list(self._pins.get(self._resolve(channel, create=False) or "", []))

    # -- plumbing ---------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            route("POST", "/api/{method}", self._call),
            route("GET", "/api/{method}", self._call),
            route("POST", "/commands/{team}/{trigger}/{secret}", self._respond),
        ]

    def authenticate(self, request: ApiRequest) -> Reply | None:
        if request.path.startswith("/commands/"):
            return None  # a response_url is its own credential
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else request.form.get("token")
        if not token:
            return error("not_authed")
        return None if token == self.token else error("invalid_auth")

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        if status == 404:
            return error("unknown_method")
        return Reply(status, {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"})

    def _call(self, request: ApiRequest, method: str) -> Reply:
        params: Params = {**request.query, **request.form}
        if isinstance(request.json, dict):
            params.update(request.json)
        methods: dict[str, Callable[[Params], Reply]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "reactions.add": self._react,
            "pins.add": self._pin,
            "users.info": self._user_info,
            **self.conversation_methods(),
            **self.home_methods(),
            **self.modal_methods(),
        }
        handler = methods.get(method)
        return handler(params) if handler else error("unknown_method", req_method=method)

    def _respond(self, request: ApiRequest, team: str, trigger: str, secret: str) -> Reply:
        body = request.json if isinstance(request.json, dict) else {}
        if not body.get("text") and not body.get("blocks"):
            return Reply(400, "no_text")
        if message_problem(body) is not None:
            return Reply(400, "invalid_payload")
        with self._lock:
            self._responses.append({"trigger": trigger, **body})
        return Reply(200, "ok")

    # -- methods ------------------------------------------------------------------------
    def _auth_test(self, params: Params) -> Reply:
        return ok(
            url=f"https://{self.team.lower()}.slack.com/", team=self.team, user=self.bot_name,
            team_id=self.team_id, user_id=self.bot_user_id, bot_id=self.bot_id, is_enterprise_install=False,
        )  # fmt: skip

    def _post_message(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"))
        if cid is None:
            return error("channel_not_found")
        if self.bot_user_id not in self._channels[cid]["members"]:
            return error("not_in_channel")
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return error("no_text")
        if (refused := message_problem(params)) is not None:
            return refused
        metadata = decoded(params.get("metadata"))
        if metadata and not (isinstance(metadata, dict) and metadata.get("event_type")):
            return error("invalid_metadata_format")
        message = self._store(cid, self._bot_message(params), params.get("thread_ts"), metadata)
        return ok(channel=cid, ts=message["ts"], message=copy.deepcopy(message))

    def _update(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        message = self._find(cid, params.get("ts")) if cid else None
        if cid is None or message is None:
            return error("message_not_found")
        if message.get("user") != self.bot_user_id:
            return error("cant_update_message")
        if (refused := message_problem(params)) is not None:
            return refused
        message.update({k: v for k, v in self._bot_message(params).items() if k in ("text", "blocks")})
        # As Slack documents it: no "blocks" keeps the old ones, an empty array removes them.
        if "blocks" in params and not decoded(params["blocks"]):
            message.pop("blocks", None)
        if params.get("metadata"):
            message["metadata"] = decoded(params["metadata"])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return ok(channel=cid, ts=message["ts"], text=message["text"], message=copy.deepcopy(message))

    def _post_ephemeral(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"))
        if cid is None:
            return error("channel_not_found")
        if params.get("user") not in self._users:
            return error("user_not_found")
        ts = self._next_ts()
        entry = {"channel": cid, "user": params["user"], "text": params.get("text", ""), "ts": ts}
        entry.update({k: decoded(params[k]) for k in ("thread_ts", "blocks") if params.get(k)})
        self._ephemeral.append(entry)
        return ok(message_ts=ts)

    def _permalink(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None:
            return error("channel_not_found")
        ts = params.get("message_ts")
        if not isinstance(ts, str) or self._find(cid, ts) is None:
            return error("message_not_found")
        link = f"https://{self.team.lower()}.slack.com/archives/{cid}/p{ts.replace('.', '')}"
        return ok(channel=cid, permalink=link)

    def _react(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        message = self._find(cid, params.get("timestamp")) if cid else None
        if message is None:
            return error("message_not_found")
        name = str(params.get("name", "")).strip(":")
        reactions: list[Params] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        elif self.bot_user_id in entry["users"]:
            return error("already_reacted")
        else:
            entry["users"].append(self.bot_user_id)
            entry["count"] += 1
        return ok()

    def _pin(self, params: Params) -> Reply:
        cid = self._resolve(params.get("channel"), create=False)
        if cid is None or self._find(cid, params.get("timestamp")) is None:
            return error("message_not_found")
        pinned = self._pins.setdefault(cid, [])
        if params["timestamp"] in pinned:
            return error("already_pinned")
        pinned.append(params["timestamp"])
        return ok()

    def _user_info(self, params: Params) -> Reply:
        user = self._users.get(str(params.get("user")))
        return ok(user=copy.deepcopy(user)) if user else error("user_not_found")
