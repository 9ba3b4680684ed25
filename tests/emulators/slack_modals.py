"""Slack's modals: views.open and views.update, and the payloads Slack sends about an open modal.

A trigger id comes with a slash command or a click and is good for one views.open, within
three seconds; the emulator hands them out (:meth:`ModalMethods.trigger`) so a test can put
one in the payload it sends, and refuses the ones Slack would: unknown (invalid_arguments),
expired (expired_trigger_id) or used already (exchanged_trigger_id). A view is judged by
slack_sdk's Block Kit models and by the rules Slack states beside them (a modal with inputs
needs a submit button, block ids are unique, an initial option is one of the options, at
most 100 options, option texts of 75 and values of 150 characters, 250 kB in all).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View

from tests import fixtures

from .base import Reply
from .slack_blocks import blocks_problem
from .slack_state import Params, SlackState, decoded, error, ok

TRIGGER_LIFETIME = 3.0  # seconds
VIEW_BYTES_LIMIT = 250_000
MODAL_BLOCK_LIMIT = 100
OPTION_TEXT_LIMIT, OPTION_VALUE_LIMIT, OPTIONS_LIMIT = 75, 150, 100
PLACEHOLDER_LIMIT, INPUT_LIMIT = 150, 3_000
SELECTS = {"static_select"}
INPUT_ELEMENTS = SELECTS | {"plain_text_input"}


def _element_problem(element: Params) -> str | None:
    kind = element.get("type")
    if kind not in INPUT_ELEMENTS:
        return f"unsupported input element {kind!r}"
    if len(str((element.get("placeholder") or {}).get("text", ""))) > PLACEHOLDER_LIMIT:
        return f"placeholder must be at most {PLACEHOLDER_LIMIT} characters"
    if kind in SELECTS:
        options = element.get("options") or []
        if not 1 <= len(options) <= OPTIONS_LIMIT:
            return f"a static_select has 1 to {OPTIONS_LIMIT} options"
        for option in options:
            if len(option["text"]["text"]) > OPTION_TEXT_LIMIT or len(option["value"]) > OPTION_VALUE_LIMIT:
                return f"option text is at most {OPTION_TEXT_LIMIT} and its value {OPTION_VALUE_LIMIT} characters"
        if "initial_option" in element and element["initial_option"] not in options:
            return "initial_option must be one of the options"
    else:
        most = element.get("max_length", INPUT_LIMIT)
        if most > INPUT_LIMIT or len(element.get("initial_value") or "") > most:
            return "initial_value is longer than max_length, or max_length is over 3000"
    return None


def view_problem(view: Any) -> str | None:
    """Why Slack would refuse this modal with invalid_arguments, if it would."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "view must be an object of type modal"
    if not view.get("title"):
        return "a modal needs a title"
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        return str(exc)
    blocks = view.get("blocks") or []
    if len(blocks) > MODAL_BLOCK_LIMIT:
        return f"a modal has at most {MODAL_BLOCK_LIMIT} blocks"
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        return "block_id must be unique within a view"
    for block in blocks:
        if (problem := blocks_problem([block])) is not None:
            return problem
        if block.get("type") == "input":
            if not view.get("submit"):
                return "a modal with input blocks must have a submit button"
            if (problem := _element_problem(block["element"])) is not None:
                return problem
    return None


def _initial_state(view: Params) -> Params:
    """What Slack reports for a view's inputs before anyone touches them."""
    values: Params = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        if element["type"] in SELECTS:
            state = {"type": element["type"], "selected_option": element.get("initial_option")}
        else:
            state = {"type": element["type"], "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: state}
    return values


class ModalMethods(SlackState):
    def reset_state(self) -> None:
        super().reset_state()
        self._triggers: dict[str, Params] = {}
        self._views: dict[str, Params] = {}
        self._view_ids = itertools.count(1)

    # -- test-side setup and inspection -----------------------------------------------------
    def trigger(self, user: str = "U_ALICE", *, age: float = 0.0) -> str:
        """A trigger id for a command or click by ``user``, issued ``age`` seconds ago."""
        with self._lock:
            trigger_id = f"{len(self._triggers) + 1}.{self._next_ts().replace('.', '')}.{user.lower()}"
            self._triggers[trigger_id] = {"user": user, "issued": time.monotonic() - age, "used": False}
            return trigger_id

    def view(self, view_id: str) -> Params:
        """The view as Slack holds it now (KeyError when it was never opened or has been closed)."""
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    def open_views(self) -> list[Params]:
        with self._lock:
            return copy.deepcopy(list(self._views.values()))

    def close_view(self, view_id: str) -> None:
        """The person closed the modal."""
        with self._lock:
            self._views.pop(view_id, None)

    def answered(self, view_id: str, answer: Params) -> None:
        """Slack applying the app's answer to a view_submission: ``update`` replaces the view (it must be
        one Slack takes: AssertionError otherwise, where Slack would show the person an error), ``clear``
        closes it, ``errors`` leaves it as it was."""
        action = answer.get("response_action")
        with self._lock:
            if action == "update":
                problem = view_problem(answer.get("view"))
                assert problem is None, f"Slack would refuse the update: {problem}"
                self._views[view_id] = self._stored(view_id, answer["view"]) | {"user": self._views[view_id]["user"]}
            elif action == "clear":
                self._views.pop(view_id, None)

    def view_submission(
        self, view_id: str, values: Mapping[str, str | None] | None = None, *, user: str | None = None
    ) -> Params:
        """The view_submission Slack sends when the person submits ``view_id`` with ``values`` by block id.

        A select's value is normally one of its options; any other value is sent as a made-up option,
        as a forged request could.
        """
        payload = copy.deepcopy(fixtures.load("slack/view_submission.bolt-python.json"))
        return self._about_view(payload, view_id, values or {}, user)

    def view_action(self, view_id: str, block_id: str, value: str, *, user: str | None = None) -> Params:
        """The block_actions Slack sends when the person picks ``value`` in a dispatching input of the view."""
        payload = copy.deepcopy(fixtures.load("slack/block_actions.button.bolt-python.json"))
        for key in ("channel", "message", "response_url"):
            payload.pop(key, None)
        payload = self._about_view(payload, view_id, {block_id: value}, user)
        [(action_id, state)] = payload["view"]["state"]["values"][block_id].items()
        payload["container"] = {"type": "view", "view_id": view_id}
        payload["actions"] = [{"action_id": action_id, "block_id": block_id, "action_ts": self._next_ts(), **state}]
        return payload

    def _about_view(self, payload: Params, view_id: str, values: Mapping[str, str | None], user: str | None) -> Params:
        with self._lock:
            view = copy.deepcopy(self._views[view_id])
        opener = view.pop("user")
        owner = user or opener
        state = _initial_state(view)
        blocks = {b.get("block_id"): b for b in view.get("blocks") or []}
        for block_id, value in values.items():
            [(action_id, entry)] = state[block_id].items()
            if "selected_option" in entry:
                options = blocks[block_id]["element"]["options"]
                made_up = {"text": {"type": "plain_text", "text": str(value)[:75]}, "value": value}
                chosen = next((o for o in options if o["value"] == value), made_up) if value is not None else None
                state[block_id][action_id] = entry | {"selected_option": chosen}
            else:
                state[block_id][action_id] = entry | {"value": value}
        view["state"] = {"values": state}
        payload["view"] = view
        payload["user"].update(id=owner, username=owner.lower(), name=owner.lower())
        payload["trigger_id"] = self.trigger(owner)
        payload["team"]["id"] = self.team_id
        return payload

    # -- methods ------------------------------------------------------------------------
    def modal_methods(self) -> dict[str, Callable[[Params], Reply]]:
        return {"views.open": self._open, "views.update": self._update_view}

    def _judged(self, params: Params) -> tuple[Params | None, Reply | None]:
        raw = params.get("view")
        try:
            view = decoded(raw)
        except json.JSONDecodeError:
            return None, error("invalid_arguments", response_metadata={"messages": ["view is not JSON"]})
        if len(json.dumps(view)) > VIEW_BYTES_LIMIT:
            return None, error("view_too_large")
        if (problem := view_problem(view)) is not None:
            return None, error("invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}"]})
        return view, None

    def _open(self, params: Params) -> Reply:
        trigger = self._triggers.get(str(params.get("trigger_id") or ""))
        if trigger is None:
            return error("invalid_arguments", response_metadata={"messages": ["invalid `trigger_id`"]})
        view, refused = self._judged(params)
        if refused is not None or view is None:
            return refused or error("invalid_arguments")
        if trigger["used"]:
            return error("exchanged_trigger_id")
        if time.monotonic() - trigger["issued"] > TRIGGER_LIFETIME:
            return error("expired_trigger_id")
        trigger["used"] = True
        view_id = f"V{next(self._view_ids):08d}"
        stored = self._stored(view_id, view) | {"user": trigger["user"]}
        self._views[view_id] = stored
        return ok(view=self._shown(stored))

    def _update_view(self, params: Params) -> Reply:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next((i for i, v in self._views.items() if v["external_id"] == params["external_id"]), None)
        if not view_id:
            return error("invalid_arguments", response_metadata={"messages": ["view_id or external_id is required"]})
        current = self._views.get(str(view_id))
        if current is None:
            return error("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            return error("hash_conflict")
        view, refused = self._judged(params)
        if refused is not None or view is None:
            return refused or error("invalid_arguments")
        stored = self._stored(str(view_id), view) | {"user": current["user"]}
        self._views[str(view_id)] = stored
        return ok(view=self._shown(stored))

    def _stored(self, view_id: str, view: Params) -> Params:
        return {
            "id": view_id, "team_id": self.team_id, "type": "modal", "private_metadata": "", "callback_id": "",
            "external_id": "", "submit": None, "close": None, "clear_on_close": False, "notify_on_close": False,
            **copy.deepcopy(view),
            "state": {"values": {}}, "hash": f"{self._next_ts()}.h{view_id}", "root_view_id": view_id,
            "previous_view_id": None, "app_id": "A0BOT", "bot_id": self.bot_id,
        }  # fmt: skip

    @staticmethod
    def _shown(stored: Params) -> Params:
        return {k: copy.deepcopy(v) for k, v in stored.items() if k != "user"}
