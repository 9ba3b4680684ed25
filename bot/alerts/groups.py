"""One Slack message per alert group, edited in place as Alertmanager re-sends the group.

A notification is merged into what is known of its group: an alert is kept
(by fingerprint) until it resolves, since Alertmanager forgets resolved alerts
and a later notification may not carry them. Nothing new (a ``repeat_interval``
re-send) changes nothing in Slack; anything else edits the message (posting it
the first time), and alerts that start firing in a group that already has a
message get a short threaded note too, because edits notify nobody. Each group
is updated under a mutex, so two workers never interleave on one group.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from bot.alerts.incident_news import IncidentNews
from bot.alerts.model import Alert, Notification
from bot.alerts.ports import AlertGroup, AlertGroupStore, IncidentLink, LastDeploy, LastDeploys, group_id
from bot.alerts.render import Rendered, joined_note, render
from bot.alerts.routing import channel_for, group_labels
from bot.config import OpsConfig
from bot.conversation.reporting import Reporter
from bot.errors import UpstreamError
from bot.model import SlackThread
from bot.ports import Mutexes

log = logging.getLogger(__name__)

Outcome = Literal["unrouted", "unchanged", "posted", "edited"]
MUTEX = "alert-group:"  # + group id


def newly_firing(before: AlertGroup, notification: Notification) -> list[Alert]:
    """Alerts firing now that weren't before: new to the group, or firing again (a new start)."""
    joined = []
    for alert in notification.alerts:
        known = before.alerts.get(alert.fingerprint)
        if alert.status == "firing" and (
            known is None or known.status != "firing" or known.starts_at != alert.starts_at
        ):
            joined.append(alert)
    return joined


def merged(group: AlertGroup, notification: Notification, now: float) -> AlertGroup:
    alerts = {**group.alerts, **{a.fingerprint: a for a in notification.alerts}}
    return group.but(
        alerts=alerts,
        group_labels=dict(notification.group_labels),
        common_labels=dict(notification.common_labels),
        external_url=notification.external_url,
        truncated_alerts=notification.truncated_alerts,
        source=notification.source,
        last_notified=now,
    )


class AlertGroups:
    def __init__(
        self,
        store: AlertGroupStore,
        reporter: Reporter,
        mutexes: Mutexes,
        config: OpsConfig,
        last_deploys: LastDeploys | None = None,
        clock: Callable[[], float] = time.time,
        *,
        incidents: IncidentLink | None = None,
        silenceable: bool = True,  # False without ALERTMANAGER_URL: no Silence buttons
    ) -> None:
        self._silenceable = silenceable
        self._store = store
        self._reporter = reporter
        self._mutexes = mutexes
        self._config = config
        self._last_deploys = last_deploys
        self._clock = clock
        self._incidents = IncidentNews(incidents, store, config.alerts) if incidents is not None else None

    async def notified(self, notification: Notification) -> Outcome:
        gid = group_id(notification.group_key)
        async with self._mutexes.hold(MUTEX + gid):
            return await self._notified(gid, notification)

    async def _notified(self, gid: str, notification: Notification) -> Outcome:
        now = self._clock()
        before = await self._store.load(gid)
        if before is None:
            channel = channel_for(group_labels(notification), self._config.alerts)
            if channel is None:
                log.warning(
                    "alert group dropped: no alerts route matches and alerts.default_channel is not set",
                    extra={"group": gid, "receiver": notification.receiver[:100]},
                )
                return "unrouted"
            before = AlertGroup(notification.group_key, channel, None, {}, {}, {}, "", now, now)
        after = merged(before, notification, now)
        if before.message_ts is not None and _same(before, after):
            # Kept (fresher annotations, the time), but not worth an edit.
            await self._store.save(after)
            return "unchanged"
        shown = await self._render(after, now)
        message_ts = await self._reporter.update(
            SlackThread(after.channel), after.reply_key, shown.text, since=after.first_seen - 60, buttons=shown.buttons
        )
        after = after.but(message_ts=message_ts or before.message_ts)
        joined = newly_firing(before, notification)
        if before.message_ts is not None and joined and after.message_ts:
            # Before the save: a job that dies in between runs again from the old state, and the
            # note's key keeps it to one; saved first, the re-run would see nothing new and skip it.
            key = f"{after.reply_key}:firing:{notification.digest}"
            await self._reporter.announce(SlackThread(after.channel, after.message_ts), key, joined_note(joined))
        if self._incidents is not None:
            # Before the save too: a re-run names the same episode and change, and gets the same incident.
            declared = await self._incidents.changed(before, after, notification, joined)
            if declared.incident_id != after.incident_id:
                # The message names the incident it opened (its thread has the channel's link).
                shown = await self._render(declared, now)
                await self._reporter.update(
                    SlackThread(declared.channel), declared.reply_key, shown.text,
                    since=declared.first_seen - 60, buttons=shown.buttons,
                )  # fmt: skip
            after = declared
        await self._store.save(after)
        return "edited" if before.message_ts is not None else "posted"

    async def last_deploy(self, group: AlertGroup) -> LastDeploy | None:
        """The deploy line's deploy, for others that re-render a group's message (the buttons)."""
        return await self._deploy(group)

    async def _render(self, group: AlertGroup, now: float) -> Rendered:
        """The group's message as it stands: every render here shows the same buttons."""
        return render(group, await self._deploy(group), now, silenceable=self._silenceable)

    async def _deploy(self, group: AlertGroup) -> LastDeploy | None:
        service = group.common_labels.get(self._config.alerts.service_label)
        if self._last_deploys is None or service is None or service not in self._config.services:
            return None
        try:
            return await self._last_deploys(service)
        except UpstreamError as exc:
            # The alert matters more than the deploy line: show it without.
            log.warning(
                "could not read the last deploy for an alert group", extra={"service": service, "error": str(exc)}
            )
            return None


def _state(group: AlertGroup) -> set[tuple[str, str, str, str]]:
    return {(a.fingerprint, a.status, a.starts_at, a.ends_at) for a in group.alerts.values()}


def _same(before: AlertGroup, after: AlertGroup) -> bool:
    """Nothing new, as the door's digest sees it: the same alerts in the same states. Annotations
    alone don't count, since Prometheus templates them with the current value on every evaluation."""
    return _state(before) == _state(after) and before.truncated_alerts == after.truncated_alerts
