"""Incidents: a channel of their own, a commander, a timeline, reminders, a tracking issue.

``/ops incident declare`` opens ``inc-YYYYMMDD-<slug>``, pins a summary there,
opens a tracking issue in ``incidents.tracking_repo`` and says so where it was
declared. Updates go to the channel, the timeline and the issue. When nobody
has posted an update for a while (by severity), a reminder says so; reminders
are delayed jobs in the queue, so they survive a worker restart. Deploys and
rollbacks during an open incident are announced in its channel. Resolving it
closes the issue with the timeline and posts the agent's draft review there.

Every step of a declaration is recorded as it is done, so a job that is run
again (its worker died) picks up where the first run stopped.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

from bot.config import OpsConfig
from bot.conversation.reporting import Reporter
from bot.deploys.deploying import ForgeName, forge_repo
from bot.errors import CommandError
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.kinds import Job
from bot.model import ChatMessage, Person, Place, SlackThread, place_from_json, public_place
from bot.ports import IssueTracker, JobQueue
from bot.text import channel, hidden, mention, mention_handle

log = logging.getLogger(__name__)

# Minutes without an update before a reminder, by severity (sev1 is the worst).
REMIND_EVERY = {1: 15, 2: 30, 3: 60, 4: 120}
DEFAULT_SNOOZE = 30  # minutes
MAX_SNOOZE = 24 * 60
INCIDENT_LABEL = "incident"
SLUG_LENGTH = 40  # Slack channel names are at most 80 characters
Status = Literal["open", "resolved"]


@dataclass(frozen=True)
class Event:
    """One line of an incident's timeline."""

    ref: str  # unique per event: the request it came from, so a re-run job adds nothing twice
    at: float
    who: str  # a person's handle, or "opsbot"
    kind: str  # declared, update, commander, deploy, snooze, resolved
    text: str


@dataclass(frozen=True)
class Incident:
    id: str  # the channel name: inc-20261125-checkout-is-down
    title: str
    severity: int
    commander: str  # Slack user id
    declared_by: str
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

    def remind_every(self) -> float:
        return REMIND_EVERY[self.severity] * 60.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Incident:
        return cls(**json.loads(raw))


class IncidentStore(Protocol):
    async def save(self, incident: Incident) -> None: ...

    async def get(self, incident_id: str) -> Incident | None: ...

    async def by_channel(self, channel: str) -> Incident | None: ...

    async def by_request(self, message_id: str) -> str | None:
        """The incident a declare request already started (a re-run job finds it)."""

    async def claim_request(self, message_id: str, incident_id: str) -> str:
        """Record that ``message_id`` declares ``incident_id``; the id recorded first wins."""

    async def open_ids(self) -> list[str]: ...

    async def append(self, incident_id: str, event: Event) -> bool:
        """Add to the timeline once per ``event.ref``; False if it was there."""

    async def timeline(self, incident_id: str) -> list[Event]: ...


class Rooms(Protocol):
    """Slack channels opsbot opens for incidents."""

    async def open_room(self, name: str) -> str | None:
        """Create channel ``name``; its id, or None when the name is taken."""

    async def invite(self, room: str, person: Person) -> None: ...

    async def pin(self, room: str, message_id: str) -> None: ...


class Reviewer(Protocol):
    """Drafts prose from an incident's timeline (the Ops agent, when configured)."""

    async def draft(self, incident: Incident, timeline: Sequence[Event], what: Literal["review", "summary"]) -> str: ...


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (words[:SLUG_LENGTH].rstrip("-")) or "incident"


def timeline_text(events: Sequence[Event]) -> str:
    # One line per event, whatever its text holds: a line break in an update can't start a new item.
    return "\n".join(
        f"- {time.strftime('%H:%M', time.gmtime(e.at))} UTC · {e.kind} · {_who(e.who)}: {' '.join(e.text.split())}"
        for e in events
    )


def _who(handle: str) -> str:
    return mention_handle(handle)


def summary_text(incident: Incident, issue_url: str | None = None) -> str:
    state = "🔴 open" if incident.status == "open" else "✅ resolved"
    lines = [
        f"🚨 **{incident.title}**",
        f"Severity: sev{incident.severity} · Commander: {_who(incident.commander)} · Status: {state}",
        f"Declared by {_who(incident.declared_by)} at "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(incident.declared_at))}",
    ]
    if incident.channel:
        lines.append(f"Channel: {channel(incident.channel)}")
    if issue_url:
        lines.append(f"Tracking issue: {issue_url}")
    lines.append("Post updates with `/ops incident update <text>`; resolve with `/ops incident resolve [<summary>]`.")
    return "\n".join(lines)


@dataclass
class IncidentServices:
    store: IncidentStore
    rooms: Rooms | None
    reporter: Reporter
    trackers: Mapping[ForgeName, IssueTracker]
    queue: JobQueue
    config: OpsConfig
    clock: Callable[[], float] = time.time
    reviewer: Reviewer | None = None


class Incidents:
    def __init__(self, services: IncidentServices) -> None:
        self._s = services

    # -- lookups other parts of opsbot use --------------------------------------------------

    async def in_channel(self, place: Place) -> Incident | None:
        if not isinstance(place, SlackThread):
            return None
        return await self._s.store.by_channel(place.channel)

    async def tracking_place(self, place: Place) -> Place | None:
        """Where an incident channel's [Ops] todos are mirrored: its tracking issue."""
        incident = await self.in_channel(place)
        if incident is None or incident.tracking is None:
            return None
        tracking = incident.tracking
        return self._s.trackers[tracking["forge"]].place(tracking["repo"], int(tracking["number"]))

    async def timeline_of(self, place: Place) -> tuple[Incident, list[Event]] | None:
        incident = await self.in_channel(place)
        if incident is None:
            return None
        return incident, await self._s.store.timeline(incident.id)

    # -- commands ---------------------------------------------------------------------------

    async def declare(self, title: str, severity: int, message: ChatMessage) -> str:
        if message.author.platform != "slack" or self._s.rooms is None:
            raise CommandError("Incidents are declared in Slack: they get a Slack channel of their own.")
        now = self._s.clock()
        known = await self._s.store.by_request(message.id)
        incident = await self._s.store.get(known) if known else None
        if incident is None:
            base = f"inc-{time.strftime('%Y%m%d', time.gmtime(now))}-{slug(title)}"
            incident = Incident(
                id=base, title=title, severity=severity, commander=message.author.id,
                declared_by=message.author.id, declared_at=now, declared_in=public_place(message.place),
                last_update_at=now,
            )  # fmt: skip
        incident = await self._open_channel(incident, message)
        declared = Event(f"{message.id}:declared", incident.declared_at, incident.declared_by, "declared", title)
        await self._s.store.append(incident.id, declared)
        incident = await self._open_tracking_issue(incident)
        incident = await self._post_summary(incident)
        await self._schedule_reminder(incident, incident.declared_at + incident.remind_every())
        await self._s.reporter.announce(
            place_from_json(incident.declared_in),
            f"incident:{incident.id}:declared",
            f"🚨 Incident declared: **{incident.title}** (sev{incident.severity}) · {channel(str(incident.channel))} · "
            f"commander {_who(incident.commander)}",
        )
        return f"Declared `{incident.id}`: join {channel(str(incident.channel))}."

    async def set_commander(self, user: str, message: ChatMessage) -> str:
        incident = await self._current(message)
        await self._s.store.save(replace(incident, commander=user))
        event = Event(message.id, self._s.clock(), message.author.handle, "commander", mention("slack", user))
        await self._record(incident, event)
        await self._refresh_summary(replace(incident, commander=user))
        return f"{mention('slack', user)} is now the commander of `{incident.id}`."

    async def update(self, text: str, message: ChatMessage) -> str:
        incident = await self._current(message)
        now = self._s.clock()
        event = Event(message.id, now, message.author.handle, "update", text)
        await self._s.store.save(replace(incident, last_update_at=max(now, incident.last_update_at)))
        await self._record(incident, event, post=f"📣 **Status update** from {message.author.ref}\n{text}")
        return f"Update posted in {channel(str(incident.channel))}."

    async def snooze(self, minutes: int | None, message: ChatMessage) -> str:
        incident = await self._current(message)
        minutes = min(minutes or DEFAULT_SNOOZE, MAX_SNOOZE)
        until = self._s.clock() + minutes * 60
        await self._s.store.save(replace(incident, snoozed_until=until))
        await self._record(incident, Event(message.id, until, message.author.handle, "snooze", f"{minutes} minutes"))
        return f"Reminders for `{incident.id}` are snoozed for {minutes} minutes."

    async def resolve(self, summary: str | None, message: ChatMessage) -> str:
        incident = await self._current(message, open_only=False)
        if incident.status == "resolved" and message.id != incident.resolved_by_request:
            return f"`{incident.id}` was already resolved."
        now = incident.resolved_at or self._s.clock()
        resolved = replace(incident, status="resolved", resolved_at=now, resolved_by_request=message.id)
        await self._s.store.save(resolved)
        text = summary or "no summary given"
        await self._record(
            resolved,
            Event(message.id, now, message.author.handle, "resolved", text),
            post=f"✅ **Resolved** by {message.author.ref}: {text}",
        )
        await self._refresh_summary(resolved)
        timeline = await self._s.store.timeline(incident.id)
        if (tracking := self._tracking(resolved)) is not None:
            tracker, repo, number = tracking
            where = tracker.place(repo, number)
            await self._s.reporter.announce(
                where, f"incident:{incident.id}:timeline", f"**Resolved.** Timeline:\n{timeline_text(timeline)}"
            )
            review = await self._draft(resolved, timeline, "review")
            await self._s.reporter.announce(where, f"incident:{incident.id}:review", review)
            await tracker.edit(repo, number, open=False)
        await self._s.reporter.announce(
            place_from_json(incident.declared_in),
            f"incident:{incident.id}:resolved",
            f"✅ Incident resolved: **{incident.title}** · {channel(str(incident.channel))}",
        )
        return f"`{incident.id}` is resolved."

    # -- jobs and news ----------------------------------------------------------------------

    async def remind(self, incident_id: str, due: float) -> None:
        """A reminder job came due: remind if nobody posted an update in time, then plan the next."""
        incident = await self._s.store.get(incident_id)
        if incident is None or incident.status != "open":
            return
        now = self._s.clock()
        quiet_until = max(incident.last_update_at + incident.remind_every(), incident.snoozed_until)
        if quiet_until > now:
            await self._schedule_reminder(incident, quiet_until)
            return
        minutes = int((now - incident.last_update_at) // 60)
        await self._s.reporter.announce(
            SlackThread(str(incident.channel)),
            f"incident:{incident.id}:reminder:{int(due)}",
            f"⏰ No status update for {minutes} minutes (sev{incident.severity} expects one every "
            f"{REMIND_EVERY[incident.severity]}). {_who(incident.commander)}, post one with "
            "`/ops incident update <text>`, or `/ops incident snooze [minutes]`.",
        )
        await self._schedule_reminder(incident, now + incident.remind_every())

    async def deploy_news(self, key: str, text: str) -> None:
        """A deploy or rollback started or finished: every open incident hears of it."""
        for incident_id in await self._s.store.open_ids():
            incident = await self._s.store.get(incident_id)
            if incident is None or incident.channel is None:
                continue
            event = Event(key, self._s.clock(), "opsbot", "deploy", text)
            if await self._s.store.append(incident.id, event):
                await self._s.reporter.announce(SlackThread(incident.channel), f"incident:{incident.id}:{key}", text)

    # -- steps ------------------------------------------------------------------------------

    async def _current(self, message: ChatMessage, *, open_only: bool = True) -> Incident:
        """The incident of the channel asked in; outside one, the only open incident."""
        incident = await self.in_channel(message.place)
        if incident is None:
            open_ids = await self._s.store.open_ids()
            if len(open_ids) != 1:
                raise CommandError(
                    "Run this in the incident's channel."
                    if open_ids
                    else "There is no open incident. Declare one with `/ops incident declare <title> [--sev 1-4]`."
                )
            incident = await self._s.store.get(open_ids[0])
        if incident is None or (open_only and incident.status != "open"):
            raise CommandError("That incident is resolved already.")
        return incident

    async def _record(self, incident: Incident, event: Event, post: str | None = None) -> None:
        await self._s.store.append(incident.id, event)
        key = f"incident:{incident.id}:{event.ref}"
        if post is not None and incident.channel:
            await self._s.reporter.announce(SlackThread(incident.channel), key, post)
        if (tracking := self._tracking(incident)) is not None:
            tracker, repo, number = tracking
            line = f"**{event.kind}** by {_who(event.who)}: {event.text}"
            await self._s.reporter.announce(tracker.place(repo, number), f"{key}:issue", line)

    async def _open_channel(self, incident: Incident, message: ChatMessage) -> Incident:
        rooms = self._s.rooms
        assert rooms is not None
        if incident.channel is None:
            for attempt in range(1, 10):
                name = incident.id if attempt == 1 else f"{incident.id}-{attempt}"
                if (channel := await rooms.open_room(name)) is not None:
                    incident = replace(incident, id=name, channel=channel)
                    break
            else:
                raise CommandError(f"Slack has channels named `{incident.id}` up to -9 already; pick another title.")
            incident = replace(incident, id=await self._s.store.claim_request(message.id, incident.id))
            await self._s.store.save(incident)
        await rooms.invite(str(incident.channel), message.author)
        return incident

    async def _open_tracking_issue(self, incident: Incident) -> Incident:
        home = self._home()
        if incident.tracking is not None or home is None:
            return incident
        forge, repo = home
        tracker = self._s.trackers[forge]
        marker = hidden(f"opsbot:incident {incident.id}")
        found = await tracker.find(repo, INCIDENT_LABEL, marker)
        if found is None:
            body = f"{marker}\n{summary_text(incident)}\n\nTimeline, updates and the review follow as comments."
            labels = [INCIDENT_LABEL, f"sev{incident.severity}"]
            found = await tracker.open(repo, f"[Incident] sev{incident.severity}: {incident.title}", body, labels)
        incident = replace(incident, tracking={"forge": forge, "repo": repo, "number": found.number})
        await self._s.store.save(incident)
        return incident

    async def _post_summary(self, incident: Incident) -> Incident:
        place = SlackThread(str(incident.channel))
        text = summary_text(incident, self._issue_ref(incident))
        ts = await self._s.reporter.update(place, f"incident:{incident.id}:summary", text, since=0.0)
        if incident.summary_ts is None and ts and self._s.rooms is not None:
            await self._s.rooms.pin(str(incident.channel), ts)
            incident = replace(incident, summary_ts=ts)
            await self._s.store.save(incident)
        return incident

    async def _refresh_summary(self, incident: Incident) -> None:
        if incident.channel:
            text = summary_text(incident, self._issue_ref(incident))
            place = SlackThread(incident.channel)
            await self._s.reporter.update(place, f"incident:{incident.id}:summary", text, since=0.0)

    async def _schedule_reminder(self, incident: Incident, due: float) -> None:
        job = Job.of(ReminderDue(incident.id, due))
        delay = max(0.0, due - self._s.clock())
        await self._s.queue.enqueue(job, dedupe_key=f"incident-reminder:{incident.id}:{int(due)}", delay=delay)

    async def _draft(self, incident: Incident, timeline: Sequence[Event], what: Literal["review", "summary"]) -> str:
        if self._s.reviewer is not None:
            try:
                return await self._s.reviewer.draft(incident, timeline, what)
            except Exception as exc:  # a draft is a courtesy: the incident still resolves
                log.warning("no draft from the agent", extra={"incident": incident.id, "error": str(exc)})
        return (
            f"**Post-incident review (template)** for {incident.title}\n\n"
            "The Ops agent could not draft this one; fill it in.\n\n"
            "## Summary\n\n## Impact\n\n## Timeline\n" + timeline_text(timeline) + "\n\n"
            "## Root cause\n\n## What went well\n\n## What to improve\n\n## Action items\n"
        )

    def _home(self) -> tuple[ForgeName, str] | None:
        return forge_repo(self._s.config.incident_repo, self._s.trackers)

    def _tracking(self, incident: Incident) -> tuple[IssueTracker, str, int] | None:
        if incident.tracking is None:
            return None
        tracking = incident.tracking
        return self._s.trackers[tracking["forge"]], tracking["repo"], int(tracking["number"])

    @staticmethod
    def _issue_ref(incident: Incident) -> str | None:
        if incident.tracking is None:
            return None
        tracking = incident.tracking
        return f"{tracking['repo']}{'#'}{tracking['number']}"
