"""Incidents: a channel of their own, a commander, a timeline, a tracking issue.

``/ops incident declare`` opens ``inc-YYYYMMDD-<slug>``, pins a summary there,
opens a tracking issue in ``incidents.tracking_repo`` and says so where it was
declared. Updates go to the channel, the timeline and the issue; reminders
(:mod:`bot.incidents.reminders`) nudge when nobody posts one for a while, and
deploys during an open incident are announced in its channel
(:mod:`bot.incidents.news`). Resolving it closes the issue with the timeline
and posts the agent's draft review there; the review's action items become
``[Ops] POST-INCIDENT: …`` todos of the incident, mirrored on that issue.

An alert group can declare one too (:meth:`Incidents.declare_for_alerts`, once
per group, with nobody in command until someone takes it); the alerts feature
then tells it of its alerts (:meth:`Incidents.alert_news`,
:meth:`Incidents.alerts_all_resolved`) and, wired in the composition root,
what they show now for the Ops agent (``IncidentServices.current_alerts``).

Every step of a declaration is recorded as it is done, so a job that is run
again (its worker died) picks up where the first run stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.config import OpsConfig
from bot.conversation.markers import incident_issue
from bot.conversation.reporting import Reporter
from bot.errors import CommandError
from bot.forges import ForgeName, forge_repo
from bot.incidents.model import (
    REMIND_EVERY,
    TAKE_COMMAND,
    Event,
    Incident,
    channel_place,
    slug,
    summary_text,
    timeline_text,
)
from bot.incidents.news import DeployNews
from bot.incidents.ports import FollowUps, IncidentStore, Reviewer, Rooms
from bot.incidents.reminders import Reminders, snooze_minutes
from bot.jobs.ports import JobQueue
from bot.model import ChatMessage, ConsoleThread, Person, Place, SlackThread, place_from_json, public_place
from bot.ports import IssueTracker
from bot.text import channel, mention, mention_handle, strip_tokens

log = logging.getLogger(__name__)

INCIDENT_LABEL = "incident"
ALERT_TITLE_LENGTH = 120  # the title is also the tracking issue's and the channel's slug
ALERT_NEWS_LENGTH = 3000  # one Slack message, with room for the prefix
CURRENT_ALERTS_TIMEOUT = 10.0  # seconds the agent's briefing waits for Alertmanager


def digest(key: str) -> str:
    """A bounded name for an outside key (an Alertmanager group key can be long and hold anything)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def alert_claim(group_key: str) -> str:
    """What an alert group's declaration is claimed under, beside the declare requests' message ids."""
    return f"alert-group:{digest(group_key)}"


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_title(title: str) -> str:
    """An alert's name as an incident title: one line, no opsbot tokens, bounded."""
    return bounded(" ".join(strip_tokens(title).split()), ALERT_TITLE_LENGTH) or "Alert"


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
    # What an incident's linked alert groups show now, for the Ops agent (the alerts feature, when wired).
    current_alerts: Callable[[Sequence[str]], Awaitable[str]] | None = None


class Incidents:
    def __init__(self, services: IncidentServices) -> None:
        self._s = services
        self._reminders = Reminders(services.store, services.reporter, services.queue, services.clock)
        self._news = DeployNews(services.store, services.reporter, services.clock)

    # -- lookups other parts of opsbot use --------------------------------------------------

    async def in_channel(self, place: Place) -> Incident | None:
        if not isinstance(place, SlackThread | ConsoleThread):
            return None
        incident = await self._s.store.by_channel(place.channel)
        return incident if incident is not None and incident.room_platform == place.platform else None

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

    def declares_here(self, message: ChatMessage) -> bool:
        """Whether ``message``'s author can declare an incident where they are: where rooms can be opened
        for people of their platform (Slack channels, or the console's own). `help` lists the incident
        commands where this holds."""
        return self._s.rooms is not None and message.author.platform == self._s.rooms.platform

    async def declare(self, title: str, severity: int, message: ChatMessage) -> str:
        if not self.declares_here(message):
            raise CommandError("Incidents are declared in Slack: they get a Slack channel of their own.")
        draft = self._draft_incident(
            title, severity, commander=message.author.id, declared_by=message.author.id,
            declared_in=public_place(message.place),
        )  # fmt: skip
        incident = await self._declared(message.id, draft, message.author)
        return f"Declared `{incident.id}`: join {channel(str(incident.channel))}."

    async def declare_for_alerts(
        self, group_key: str, title: str, severity: int, alerted_in: Place, declared_by: str | None = None
    ) -> Incident:
        """Declare the incident of one alert group, once per ``group_key`` however often it is asked.

        For the alerts feature (wired by the composition root; features don't import each other):

        - ``group_key`` names the group as the alerts feature does (Alertmanager's ``groupKey``, or
          that plus whatever marks a new firing episode if a recurrence should open a new incident).
          A redelivered notification, a second worker or a "Declare incident" click on a group that
          already has one get the same incident back, resolved or not: check ``status``. The key is
          recorded in ``alert_groups``, which ``current_alerts`` is later asked about.
        - ``title`` names the alert; outside text, so it is cleaned (no opsbot tokens, one line,
          at most ``ALERT_TITLE_LENGTH`` characters).
        - ``severity`` 1-4 (sev1 the worst), mapped by the caller from the ``severity`` label.
        - ``alerted_in`` is where the alert is shown (its message's thread): the declaration is
          announced there with a link to the incident channel.
        - ``declared_by`` is the Slack user id of whoever clicked "Declare incident": they become
          the commander (also of an incident the alert had opened with nobody in command) and are
          invited. None when the alert's severity opened it: nobody commands it yet, and the
          summary, the announcement and the reminders say how to take it.

        Channel, summary, tracking issue and reminders are those of ``/ops incident declare``.
        Two runs for one group at the very same moment make one incident, but the slower one may
        leave an empty channel behind: run one notification of a group at a time.
        """
        if self._s.rooms is None:
            raise CommandError("Incidents need Slack: they get a Slack channel of their own.")
        if severity not in REMIND_EVERY:
            raise ValueError(f"severity must be 1-4, not {severity}")
        draft = self._draft_incident(
            alert_title(title), severity, commander=declared_by, declared_by=declared_by or "opsbot",
            declared_in=public_place(alerted_in),
        )  # fmt: skip
        draft = replace(draft, alert_groups=(group_key,))
        invite = Person("slack", declared_by) if declared_by else None
        incident = await self._declared(alert_claim(group_key), draft, invite)
        if declared_by and incident.commander is None and incident.status == "open":
            # The alert opened it on its own; whoever then clicks "Declare incident" takes it.
            incident = replace(incident, commander=declared_by)
            await self._s.store.save(incident)
            ref = f"{alert_claim(group_key)}:commander:{declared_by}"
            await self._record(
                incident, Event(ref, self._s.clock(), declared_by, "commander", mention("slack", declared_by))
            )
            await self._refresh_summary(incident)
        return incident

    async def link_alert_group(self, incident_id: str, group_key: str) -> Incident | None:
        """Tie another alert group to an open incident (its news is then the alerts feature's to send)."""
        incident = await self._s.store.get(incident_id)
        if incident is None or incident.status != "open":
            return None
        if group_key not in incident.alert_groups:
            incident = replace(incident, alert_groups=(*incident.alert_groups, group_key))
            await self._s.store.save(incident)
        return incident

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
                conversation = channel_place(resolved) if resolved.channel else where
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

    async def alert_news(self, incident_id: str, key: str, text: str) -> bool:
        """Tell an open incident's channel, timeline and tracking issue of a change in its alerts, once per ``key``.

        ``text`` is opsbot's neutral text, not Slack mrkdwn: plain words, with links and mentions
        made with :mod:`bot.text` (``link``, ``mention``). Each platform's renderer escapes the
        rest, so the same text is safe in Slack and on the GitHub or GitLab issue, and labels full
        of ``<!channel>`` can't ping. True if it was told now; False if it was told before or the
        incident is gone or resolved.
        """
        incident = await self._s.store.get(incident_id)
        if incident is None or incident.status != "open":
            return False
        event = Event(f"alert:{digest(key)}", self._s.clock(), "opsbot", "alert", bounded(text, ALERT_NEWS_LENGTH))
        # Posting is once per key too, so a re-run after a crash between the steps still posts what was missed.
        return await self._record(incident, event, post=f"🔔 {event.text}")

    async def alerts_all_resolved(self, incident_id: str, key: str) -> bool:
        """Tell an open incident that every alert linked to it has resolved, once per ``key``.

        The incident stays open: its commander resolves it. ``key`` names the moment (the alerts
        feature's group key and the notification), so alerts that fire again and resolve again
        are told again. True if told now.
        """
        incident = await self._s.store.get(incident_id)
        commander = incident.commander if incident else None
        who = mention_handle(commander) if commander else f"a commander (nobody yet: take it with {TAKE_COMMAND})"
        text = (
            "Every alert linked to this incident has resolved. The incident stays open until "
            f"{who} with `/ops incident resolve [<summary>]`."
        )
        return await self.alert_news(incident_id, f"resolved:{key}", text)

    async def alerts_now(self, incident: Incident) -> str | None:
        """What its linked alert groups show now, for the Ops agent's briefing (None: no groups or no source).

        A courtesy: an Alertmanager that is down or slow leaves a sentence saying so, not a failed answer."""
        current = self._s.current_alerts
        if current is None or not incident.alert_groups:
            return None
        try:
            return await asyncio.wait_for(current(incident.alert_groups), CURRENT_ALERTS_TIMEOUT)
        except Exception as exc:
            log.warning("no current alerts", extra={"incident": incident.id, "error": str(exc)})
            return "The linked alerts' current state could not be read."

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

    def _draft_incident(
        self, title: str, severity: int, *, commander: str | None, declared_by: str, declared_in: dict[str, Any]
    ) -> Incident:
        """A new incident, before it has a channel: its id is the channel name it asks for."""
        now = self._s.clock()
        base = f"inc-{time.strftime('%Y%m%d', time.gmtime(now))}-{slug(title)}"
        return Incident(
            id=base, title=title, severity=severity, commander=commander, declared_by=declared_by,
            declared_at=now, declared_in=declared_in, last_update_at=now,
        )  # fmt: skip

    async def _declared(self, claim: str, draft: Incident, invite: Person | None) -> Incident:
        """Every step of a declaration, each done once: a re-run (or a second worker) resumes the incident
        ``claim`` started instead of opening another."""
        known = await self._s.store.by_request(claim)
        incident = (await self._s.store.get(known) if known else None) or draft
        incident = await self._open_channel(incident, claim, invite)
        declared = Event(f"{claim}:declared", incident.declared_at, incident.declared_by, "declared", incident.title)
        await self._s.store.append(incident.id, declared)
        incident = await self._open_tracking_issue(incident)
        incident = await self._post_summary(incident)
        await self._reminders.schedule(incident, incident.declared_at + incident.remind_every())
        commander = (
            f"commander {mention_handle(incident.commander)}"
            if incident.commander
            else f"no commander yet: take it with {TAKE_COMMAND} in {channel(str(incident.channel))}"
        )
        await self._s.reporter.announce(
            place_from_json(incident.declared_in),
            f"incident:{incident.id}:declared",
            f"🚨 Incident declared: **{incident.title}** (sev{incident.severity}) · {channel(str(incident.channel))} · "
            f"{commander}",
        )
        return incident

    async def _record(self, incident: Incident, event: Event, post: str | None = None) -> bool:
        """Timeline, channel and tracking issue, each once per event; True if the timeline took it now."""
        fresh = await self._s.store.append(incident.id, event)
        key = f"incident:{incident.id}:{event.ref}"
        if post is not None and incident.channel:
            await self._s.reporter.announce(channel_place(incident), key, post)
        if (tracking := self._tracking(incident)) is not None:
            tracker, repo, number = tracking
            line = f"**{event.kind}** by {mention_handle(event.who)}: {event.text}"
            await self._s.reporter.announce(tracker.place(repo, number), f"{key}:issue", line)
        return fresh

    async def _open_channel(self, incident: Incident, claim: str, invite: Person | None) -> Incident:
        rooms = self._s.rooms
        assert rooms is not None
        if incident.channel is None:
            for attempt in range(1, 10):
                name = incident.id if attempt == 1 else f"{incident.id}-{attempt}"
                if (channel := await rooms.open_room(name)) is not None:
                    incident = replace(incident, id=name, channel=channel, room_platform=rooms.platform)
                    break
            else:
                raise CommandError(f"Slack has channels named `{incident.id}` up to -9 already; pick another title.")
            claimed = await self._s.store.claim_request(claim, incident.id)
            winner = await self._s.store.get(claimed) if claimed != incident.id else None
            if winner is not None and winner.channel is not None:
                # Another run of the same declaration got there first: its incident is the one, and this
                # run's channel stays empty. Saving ours would point theirs at the wrong channel.
                log.warning("declaration raced", extra={"incident": claimed, "unused_channel": incident.channel})
                incident = winner
            else:
                # Ours, or one an earlier run claimed and died before saving: this run finishes it.
                incident = replace(incident, id=claimed)
                await self._s.store.save(incident)
        if invite is not None:
            await rooms.invite(str(incident.channel), invite)
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
        place = channel_place(incident)
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
            place = channel_place(incident)
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
