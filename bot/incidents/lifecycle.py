"""Incidents: a channel of their own, a commander, a timeline, a tracking issue.

``/ops incident declare`` opens ``inc-YYYYMMDD-<slug>``, pins a summary there,
opens a tracking issue in ``incidents.tracking_repo`` and says so where it was
declared. Updates go to the channel, the timeline and the issue; reminders
(:mod:`bot.incidents.reminders`) nudge when nobody posts one for a while, and
deploys during an open incident are announced in its channel
(:mod:`bot.incidents.news`). Resolving it closes the issue with the timeline
and posts the agent's draft review there; the review's action items become
``[Ops] POST-INCIDENT: …`` todos of the incident, mirrored on that issue.

Every step of a declaration is recorded as it is done, so a job that is run
again (its worker died) picks up where the first run stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.config import OpsConfig
from bot.conversation.markers import incident_issue
from bot.conversation.reporting import Reporter
from bot.errors import CommandError
from bot.forges import ForgeName, forge_repo
from bot.incidents.model import Event, Incident, slug, summary_text, timeline_text
from bot.incidents.news import DeployNews
from bot.incidents.ports import FollowUps, IncidentStore, Reviewer, Rooms
from bot.incidents.reminders import Reminders, snooze_minutes
from bot.jobs.ports import JobQueue
from bot.model import ChatMessage, Place, SlackThread, place_from_json, public_place
from bot.ports import IssueTracker
from bot.text import channel, mention, mention_handle

log = logging.getLogger(__name__)

INCIDENT_LABEL = "incident"


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
    # The review's action items become [Ops] POST-INCIDENT todos on the tracking issue.
    follow_ups: FollowUps | None = None


class Incidents:
    def __init__(self, services: IncidentServices) -> None:
        self._s = services
        self._reminders = Reminders(services.store, services.reporter, services.queue, services.clock)
        self._news = DeployNews(services.store, services.reporter, services.clock)

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
        await self._reminders.schedule(incident, incident.declared_at + incident.remind_every())
        await self._s.reporter.announce(
            place_from_json(incident.declared_in),
            f"incident:{incident.id}:declared",
            f"🚨 Incident declared: **{incident.title}** (sev{incident.severity}) · {channel(str(incident.channel))} · "
            f"commander {mention_handle(incident.commander)}",
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
        minutes = snooze_minutes(minutes)
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
            if self._s.follow_ups is not None:
                conversation = SlackThread(resolved.channel) if resolved.channel else where
                await self._s.follow_ups(conversation, review)
            await tracker.edit(repo, number, open=False)
        await self._s.reporter.announce(
            place_from_json(incident.declared_in),
            f"incident:{incident.id}:resolved",
            f"✅ Incident resolved: **{incident.title}** · {channel(str(incident.channel))}",
        )
        return f"`{incident.id}` is resolved."

    # -- jobs and news ----------------------------------------------------------------------

    async def remind(self, incident_id: str, due: float) -> None:
        await self._reminders.remind(incident_id, due)

    async def deploy_news(self, key: str, text: str) -> None:
        await self._news.tell(key, text)

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
            line = f"**{event.kind}** by {mention_handle(event.who)}: {event.text}"
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
        marker = incident_issue(incident.id)
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
