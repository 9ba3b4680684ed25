"""Reminders: an open incident with no status update for a while (by severity) says so in its channel.

Reminders are delayed jobs in the queue, so they survive a worker restart; one
is due at a time per incident, and a reminder that comes due early (an update
or a snooze moved the next one) only plans the next.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.reporting import Reporter
from bot.incidents.model import REMIND_EVERY, TAKE_COMMAND, Incident, channel_place
from bot.incidents.ports import IncidentStore
from bot.incidents.reminder_due import ReminderDue
from bot.jobs.kinds import Job
from bot.jobs.ports import JobQueue
from bot.text import mention_handle

DEFAULT_SNOOZE = 30  # minutes
MAX_SNOOZE = 24 * 60


def snooze_minutes(asked: int | None) -> int:
    """How long a snooze lasts: what was asked (or the default), at most a day."""
    return min(asked or DEFAULT_SNOOZE, MAX_SNOOZE)


def quiet_until(incident: Incident) -> float:
    """When the incident next deserves a reminder: an update's grace by severity, or the snooze's end."""
    return max(incident.last_update_at + incident.remind_every(), incident.snoozed_until)


def reminder_text(incident: Incident, now: float) -> str:
    minutes = int((now - incident.last_update_at) // 60)
    # An incident an alert opened may have no commander yet: the reminder asks the channel, and says how to take it.
    addressee = (
        mention_handle(incident.commander)
        if incident.commander
        else f"Nobody is commander yet: take it with {TAKE_COMMAND}; meanwhile anyone here"
    )
    return (
        f"⏰ No status update for {minutes} minutes (sev{incident.severity} expects one every "
        f"{REMIND_EVERY[incident.severity]}). {addressee}, post one with "
        "`/ops incident update <text>`, or `/ops incident snooze [minutes]`."
    )


class Reminders:
    def __init__(self, store: IncidentStore, reporter: Reporter, queue: JobQueue, clock: Callable[[], float]) -> None:
        self._store = store
        self._reporter = reporter
        self._queue = queue
        self._clock = clock

    async def remind(self, incident_id: str, due: float) -> None:
        """A reminder job came due: remind if nobody posted an update in time, then plan the next."""
        incident = await self._store.get(incident_id)
        if incident is None or incident.status != "open":
            return
        now = self._clock()
        if (quiet := quiet_until(incident)) > now:
            await self.schedule(incident, quiet)
            return
        await self._reporter.announce(
            channel_place(incident),
            f"incident:{incident.id}:reminder:{int(due)}",
            reminder_text(incident, now),
        )
        await self.schedule(incident, now + incident.remind_every())

    async def schedule(self, incident: Incident, due: float) -> None:
        job = Job.of(ReminderDue(incident.id, due))
        delay = max(0.0, due - self._clock())
        await self._queue.enqueue(job, dedupe_key=f"incident-reminder:{incident.id}:{int(due)}", delay=delay)
