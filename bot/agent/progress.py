"""What a tool call looks like to the people watching the agent work: a few words each.

The words are built from the model's tool input, which is outside text: each value
is cut short, kept on one line and stripped of opsbot's formatting tokens, and the
platform's renderer escapes the rest, so a phrase can neither ping anyone nor grow
into a paragraph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.text import strip_tokens

VALUE_LIMIT = 30  # characters of one value in a phrase
TRAIL_LIMIT = 6  # things listed in the trail under the answer


@dataclass(frozen=True)
class Step:
    doing: str  # shown while it runs: "checking recent deploys of api"
    looked_at: str | None = None  # in the trail under the answer; None for actions and records


def _value(given: Mapping[str, Any], name: str) -> str | None:
    raw = given.get(name)
    if isinstance(raw, bool) or not isinstance(raw, str | int) or raw == "":
        return None
    text = " ".join(strip_tokens(str(raw)).split())
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def _of(given: Mapping[str, Any], *names: str) -> str:
    """`` of <value>`` for the first value given: the service, an environment, a ref, a PR."""
    for name in names:
        if (value := _value(given, name)) is not None:
            return f" of #{value}" if name == "pr" else f" of {value}"
    return ""


def _read(doing: str, thing: str) -> Step:
    return Step(f"{doing} {thing}", thing)


def _deploying(given: Mapping[str, Any]) -> Step:
    service = _value(given, "service") or "this change"
    environment = _value(given, "environment")
    return Step(f"deploying {service}" + (f" to {environment}" if environment else ""))


def _memories(given: Mapping[str, Any]) -> Step:
    about = _value(given, "query")
    return Step(
        "recalling what the team knows" + (f" about {about}" if about else ""),
        "memories" + (f" about {about}" if about else ""),
    )


PHRASES: dict[str, Callable[[Mapping[str, Any]], Step]] = {
    "status": lambda g: _read("checking", "the status" + _of(g, "service")),
    "locks": lambda g: _read("checking", "the locks"),
    "deployments": lambda g: _read("checking", "recent deploys" + _of(g, "service", "environment")),
    "ci_status": lambda g: _read("reading", "CI" + _of(g, "pr", "ref", "service")),
    "ci_logs": lambda g: _read("reading", "CI logs" + _of(g, "pr", "ref", "service")),
    "recall_memories": _memories,
    "query_metrics": lambda g: _read("querying", "metrics"),
    "list_alerts": lambda g: _read("checking", "firing alerts"),
    "what_changed": lambda g: _read("looking at", "what changed" + _of(g, "service")),
    "cluster_status": lambda g: _read("checking", "the pods" + _of(g, "service")),
    "remember": lambda g: Step("noting a lesson"),
    "update_todos": lambda g: Step("updating the task list"),
    "deploy": _deploying,
    "rollback": lambda g: Step(f"rolling back {_value(g, 'service') or 'a service'}"),
    "lock": lambda g: Step("taking a lock" + _of(g, "service", "environment")),
    "unlock": lambda g: Step("releasing a lock" + _of(g, "service", "environment")),
}


def step(tool: str, given: Mapping[str, Any]) -> Step:
    """The phrase for one tool call; a tool without one of its own gets a generic phrase."""
    phrase = PHRASES.get(tool)
    return phrase(given) if phrase is not None else Step("using a tool")


def trail(looked_at: Sequence[str]) -> str | None:
    """One short line under the answer saying what the task looked at, or None."""
    unique = list(dict.fromkeys(looked_at))
    if not unique:
        return None
    shown = unique[:TRAIL_LIMIT] + ([f"{len(unique) - TRAIL_LIMIT} more"] if len(unique) > TRAIL_LIMIT else [])
    return "_Looked at: " + " · ".join(shown) + "_"
