"""A look: one read-only tool of the Ops agent, over one configured backend.

The agent offers a look only when its backend is configured (ops.yaml and the
environment), in the fixed order of :data:`LOOK_ORDER`, so the cached prompt
prefix is the same bytes for a given configuration. A look refuses in plain
words with :class:`bot.errors.CommandError` (an unknown service, a query out of
bounds) and reports a backend that failed with :class:`bot.errors.UpstreamError`;
the toolbox shows both to the model as tool errors, so the answer can say what
could not be checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.model import ChatMessage

# The tools' names are fixed by the contract; this is also the order they are offered in.
LOOK_ORDER = ("query_metrics", "list_alerts", "ci_logs", "what_changed", "cluster_status")
# Characters of one look's result. The emulator (and roughly Claude) counts ~4 characters a token,
# and the result goes to the model JSON-encoded and fenced: 5,000 characters stays under 1,500 tokens.
RESULT_LIMIT = 5_000
LOOK_TIMEOUT = 20.0  # seconds one look may take, its backend's answer included


@dataclass(frozen=True)
class LookSpec:
    """What the model is told about a look: its name, what it is for, and its input's JSON schema."""

    name: str
    backend: str  # in words people know, for errors: "Prometheus", "the Kubernetes API"
    description: str
    properties: Mapping[str, Any]
    required: tuple[str, ...] = ()


class Look(Protocol):
    @property
    def spec(self) -> LookSpec: ...

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        """The summary the model reads, at most :data:`RESULT_LIMIT` characters; ``given`` is
        the model's input (outside text: validate every field). ``asked`` is the request the
        task serves: the person and the place it was asked in."""


def ordered(looks: Sequence[Look]) -> tuple[Look, ...]:
    """The configured looks in the contract's order; a look of another name is a programming error."""
    by_name = {look.spec.name: look for look in looks}
    unknown = set(by_name) - set(LOOK_ORDER)
    if unknown or len(by_name) != len(looks):
        raise ValueError(f"looks must be distinct and among {LOOK_ORDER}, got {sorted(by_name)}")
    return tuple(by_name[name] for name in LOOK_ORDER if name in by_name)


def bounded(text: str, limit: int = RESULT_LIMIT) -> str:
    """``text`` cut at a line boundary to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    note = "\n… (cut to stay within the tool's size limit)"
    cut = text[: limit - len(note)]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return cut + note
