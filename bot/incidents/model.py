"""An incident and its timeline, and how they read: the channel's pinned summary, the timeline's lines.

Values only; what happens to an incident is :mod:`bot.incidents.lifecycle`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.model import ConsoleThread, Place, SlackThread
from bot.text import channel, mention_handle

# Minutes without an update before a reminder, by severity (sev1 is the worst).
REMIND_EVERY = {1: 15, 2: 30, 3: 60, 4: 120}
SLUG_LENGTH = 40  # Slack channel names are at most 80 characters
Status = Literal["open", "resolved"]
# Where incident channels are opened: Slack, or the console's own rooms (`opsbot shell` without Slack).
RoomPlatform = Literal["slack", "console"]


@dataclass(frozen=True)
class Event:
    """One line of an incident's timeline."""

    ref: str  # unique per event: the request it came from, so a re-run job adds nothing twice
    at: float
    who: str  # a person's handle, or "opsbot"
    kind: str  # declared, update, commander, deploy, alert, snooze, resolved
    text: str


@dataclass(frozen=True)
class Incident:
    id: str  # the channel name: inc-20261125-checkout-is-down
    title: str
    severity: int
    commander: str | None  # Slack user id; None for an incident an alert opened, until someone takes it
    declared_by: str  # Slack user id, or "opsbot" when an alert declared it
    declared_at: float
    declared_in: dict[str, Any]  # the place it was declared, as JSON
    status: Status = "open"
    channel: str | None = None  # Slack channel id, once created
    summary_ts: str | None = None
    tracking: dict[str, Any] | None = None  # {"forge", "repo", "number"}
    last_update_at: float = 0.0
    snoozed_until: float = 0.0
    resolved_at: float | None = None
    resolved_by_request: str | None = None  # the resolve request's message id
    # The alert groups that opened or joined it, as the alerts feature names them (its current_alerts reads them).
    alert_groups: tuple[str, ...] = ()
    room_platform: RoomPlatform = "slack"  # where ``channel`` is; records from before the console's rooms: Slack

    def remind_every(self) -> float:
        return REMIND_EVERY[self.severity] * 60.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Incident:
        fields = json.loads(raw)
        # JSON has no tuples; records from before alert groups have none.
        fields["alert_groups"] = tuple(fields.get("alert_groups", ()))
        return cls(**fields)


def channel_place(incident: Incident) -> Place:
    """Where a message to the incident's channel goes."""
    room = str(incident.channel)
    return ConsoleThread(room) if incident.room_platform == "console" else SlackThread(room)


TAKE_COMMAND = "`/ops incident commander @your-name`"


def commander_text(incident: Incident) -> str:
    """Who commands it; for an incident an alert opened, that nobody does yet and how to take it."""
    if incident.commander is None:
        return f"nobody yet (take it with {TAKE_COMMAND})"
    return mention_handle(incident.commander)


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (words[:SLUG_LENGTH].rstrip("-")) or "incident"


def timeline_text(events: Sequence[Event]) -> str:
    # One line per event, whatever its text holds: a line break in an update can't start a new item.
    return "\n".join(
        f"- {time.strftime('%H:%M', time.gmtime(e.at))} UTC · {e.kind} · {mention_handle(e.who)}: "
        f"{' '.join(e.text.split())}"
        for e in events
    )


def summary_text(incident: Incident, issue_url: str | None = None) -> str:
    state = "🔴 open" if incident.status == "open" else "✅ resolved"
    lines = [
        f"🚨 **{incident.title}**",
        f"Severity: sev{incident.severity} · Commander: {commander_text(incident)} · Status: {state}",
        f"Declared by {mention_handle(incident.declared_by)}{' from an alert' if incident.alert_groups else ''} at "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(incident.declared_at))}",
    ]
    if incident.channel:
        lines.append(f"Channel: {channel(incident.channel)}")
    if issue_url:
        lines.append(f"Tracking issue: {issue_url}")
    lines.append("Post updates with `/ops incident update <text>`; resolve with `/ops incident resolve [<summary>]`.")
    return "\n".join(lines)
