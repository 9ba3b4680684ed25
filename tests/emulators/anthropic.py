"""Anthropic Messages API (``POST /v1/messages``), scripted, as the ``anthropic`` SDK calls it.

Each request consumes the next scripted item: a response body (``text``, ``tool_use``
or a full message dict such as ``shared/fixtures/anthropic/*.response.json``) or an
``api_error``. The emulator fills in what a real reply computes from the request:
``id``, ``model`` and a ``usage`` that accounts for prompt caching.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .base import Emulator, Reply, Route, route
from .faults import ApiRequest

Json = dict[str, Any]
_ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error",
}  # fmt: skip
_MESSAGES = {429: "Number of request tokens has exceeded your rate limit.", 529: "Overloaded"}
_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_01{next(_ids):022d}"


@dataclass(frozen=True)
class ScriptedError:
    status: int
    error_type: str
    message: str
    retry_after: float | None = None


def api_error(status: int, error_type: str | None = None, message: str | None = None, *,
              retry_after: float | None = None) -> ScriptedError:  # fmt: skip
    """An error reply. ``retry_after`` (seconds) is sent as ``retry-after`` (whole seconds, as the
    API sends it) and as ``retry-after-ms``, which the SDK prefers: tests can ask for 0.01 s."""
    kind = error_type or _ERROR_TYPES.get(status, "api_error")
    return ScriptedError(status, kind, message or _MESSAGES.get(status, kind.replace("_", " ")), retry_after)


def text(content: str, *, stop_reason: str = "end_turn") -> Json:
    return {"type": "message", "role": "assistant", "content": [{"type": "text", "text": content}],
            "stop_reason": stop_reason, "stop_sequence": None}  # fmt: skip


def tool_use(name: str, tool_input: Json, *, text: str | None = None, tool_id: str | None = None) -> Json:
    block = {"type": "tool_use", "id": tool_id or _next_id("toolu"), "name": name, "input": tool_input,
             "caller": {"type": "direct"}}  # fmt: skip
    content = ([{"type": "text", "text": text}] if text else []) + [block]
    return {
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": "tool_use",
        "stop_sequence": None,
    }


def _error_body(status: int, error_type: str | None = None, message: str | None = None) -> Json:
    err = api_error(status, error_type, message)
    return {"type": "error", "error": {"type": err.error_type, "message": err.message}, "request_id": _next_id("req")}


def _tokens(value: Any) -> int:
    return len(json.dumps(value, sort_keys=True)) // 4


def _blocks(body: Json) -> list[Any]:
    """The prompt in cache order: tools, then system, then messages, block by block."""
    system = body.get("system") or []
    blocks: list[Any] = list(body.get("tools") or [])
    blocks += [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
    for message in body.get("messages") or []:
        content = message.get("content")
        blocks += [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
    return blocks


def _block_ids(message: Json, kind: str, key: str) -> set[str]:
    content = message.get("content")
    return {b[key] for b in content if b.get("type") == kind} if isinstance(content, list) else set()


def _prefix_keys(blocks: list[Any]) -> list[str]:
    """The cache key of each prefix ending at a block boundary. The breakpoint markers are
    not content: a prefix cached under one marker is found again without it."""
    content = [{k: v for k, v in b.items() if k != "cache_control"} if isinstance(b, dict) else b for b in blocks]
    return [json.dumps(content[: i + 1], sort_keys=True) for i in range(len(content))]


def _tool_pairing_error(messages: list[Json]) -> str | None:
    """The API refuses a ``tool_use`` not answered by a ``tool_result`` in the next message."""
    for i, (message, following) in enumerate(itertools.pairwise(messages)):
        used = _block_ids(message, "tool_use", "id") if message.get("role") == "assistant" else set()
        answered = _block_ids(following, "tool_result", "tool_use_id")
        if used - answered:
            return (f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(sorted(used - answered))}. Each `tool_use` block must have a corresponding "
                    f"`tool_result` block in the next message.")  # fmt: skip
        if answered - used:
            return (f"messages.{i + 1}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{', '.join(sorted(answered - used))}. Each `tool_result` block must have a corresponding "
                    f"`tool_use` block in the previous message.")  # fmt: skip
    return None


class AnthropicEmulator(Emulator):
    def __init__(self, api_key: str = "k", *, min_cacheable_tokens: int = 0) -> None:
        """``min_cacheable_tokens``: the real API silently skips caching for shorter
        prefixes (1024 to 4096 tokens depending on the model); 0 caches any prefix."""
        super().__init__()
        self.api_key, self.min_cacheable_tokens = api_key, min_cacheable_tokens
        self.reset_state()

    def reset_state(self) -> None:
        self._script: list[Json | ScriptedError] = []
        self._cached: set[str] = set()

    def script(self, items: Iterable[Json | ScriptedError]) -> None:
        """Queue replies; each request to /v1/messages consumes one."""
        with self._lock:
            self._script.extend(copy.deepcopy(list(items)))

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def bodies(self) -> list[Json]:
        """The JSON bodies of every /v1/messages request, in order."""
        return [r.json for r in self.requests_to("POST", r"^/v1/messages$") if isinstance(r.json, dict)]

    # -- plumbing -------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [route("POST", "/v1/messages", self._messages)]

    def authenticate(self, request: ApiRequest) -> Reply | None:
        # The documented header is x-api-key; this SDK release sends the key as a Bearer token.
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key not in (request.headers.get("x-api-key"), bearer):
            return Reply(401, _error_body(401, message="invalid x-api-key"))
        if "anthropic-version" not in request.headers:
            return Reply(400, _error_body(400, message="anthropic-version: header is required"))
        return None

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        return Reply(status, _error_body(status, message=message))

    def _invalid(self, message: str) -> Reply:
        return Reply(400, _error_body(400, message=message))

    def _messages(self, request: ApiRequest) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return self._invalid("the request body is not valid JSON")
        for field in ("model", "max_tokens", "messages"):
            if field not in body:
                return self._invalid(f"{field}: Field required")
        if body.get("stream"):
            return self._invalid("stream: this emulator answers only non-streaming requests (stream: false)")
        if not body["messages"]:
            return self._invalid("messages: at least one message is required")
        pairing = _tool_pairing_error(body["messages"])
        if pairing:
            return self._invalid(pairing)
        if not self._script:
            self.errors.append(f"no scripted reply left for request {len(self.bodies()) + 1}")
            return self._invalid("the emulator's script is exhausted: script() more replies")
        item = self._script.pop(0)
        if isinstance(item, ScriptedError):
            headers = {"request-id": _next_id("req")}
            if item.retry_after is not None:
                seconds = str(math.ceil(item.retry_after))
                headers |= {"retry-after": seconds, "retry-after-ms": str(int(item.retry_after * 1000))}
            return Reply(item.status, _error_body(item.status, item.error_type, item.message), headers)
        reply: Json = {"id": _next_id("msg"), "model": body["model"], **item}
        reply.setdefault("usage", self._usage(body, reply))
        return Reply(200, reply, {"request-id": _next_id("req")})

    def _usage(self, body: Json, reply: Json) -> Json:
        blocks = _blocks(body)
        keys = _prefix_keys(blocks)
        marks = [i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
        created = read = ttl_1h = 0
        if marks and len(keys[marks[-1]]) // 4 >= self.min_cacheable_tokens:
            last = marks[-1]
            # Like the API, read the longest cached prefix ending at a block boundary up
            # to 20 blocks before the breakpoint: a conversation that moves its breakpoint
            # forward each turn reads what the previous turn wrote, and writes the rest.
            hit = next((i for i in range(last, max(-1, last - 20), -1) if keys[i] in self._cached), None)
            read = 0 if hit is None else len(keys[hit]) // 4
            created = len(keys[last]) // 4 - read
            if created and blocks[last]["cache_control"].get("ttl") == "1h":
                ttl_1h = created
            self._cached.update(keys[i] for i in marks)
        total = len(keys[-1]) // 4 if keys else 0
        output = sum(_tokens(b.get("text") or b.get("input")) for b in reply.get("content", []))
        return {
            "input_tokens": max(1, total - created - read), "output_tokens": max(1, output),
            "cache_creation_input_tokens": created, "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": created - ttl_1h, "ephemeral_1h_input_tokens": ttl_1h},
            "service_tier": "standard",
        }  # fmt: skip
