"""Alert groups and the incidents they open: declared automatically, told of every change.

A group whose firing alerts carry a ``severity`` label named in ``alerts.incident_severities``
declares one incident per *episode*: from the group's first firing alert until every alert
in it has resolved. The episode is named by the earliest ``startsAt`` of those alerts, so a
redelivered notification (or a job run again after its worker died, from the state before)
names the same episode and gets the same incident back, while the group firing again after it
resolved is a new episode and a new incident.

While the group has an incident, each change (alerts starting to fire, alerts resolving; never
a re-send with nothing new) is told to it once, keyed by the group and a digest of the change;
when the group resolves and no other group linked to the incident still fires, the incident is
told so once. Everything here is opsbot's neutral text: outside text (labels, annotations) is
flattened, loses opsbot's token characters and what would still format after escaping, and
each platform's renderer escapes the rest.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence

from bot.alerts.model import Alert, Notification
from bot.alerts.ports import AlertGroup, AlertGroupStore, IncidentLink, group_id
from bot.alerts.render import inert, title
from bot.config import AlertsConfig
from bot.model import SlackThread
from bot.text import SAFE_URL, link

log = logging.getLogger(__name__)

# The severity label's value → the incident's severity (1 the worst); anything else is 4.
SEVERITIES = {"critical": 1, "error": 2, "high": 2, "warning": 3}
TITLE_LIMIT = 120
NEWS_SHOWN = 10  # alerts listed one by one in a piece of news; the rest are counted
GROUPS_SHOWN = 10  # groups described for the Ops agent
ALERTS_SHOWN = 20  # alerts per group described for the Ops agent
_KEY = re.compile(r"^alerts:([0-9a-f]{24}):")


def severity_of(label: str) -> int:
    return SEVERITIES.get(label.strip().lower(), 4)


def incident_key(gid: str, episode: str) -> str:
    """The key an episode's incident is declared under (and linked by)."""
    return f"alerts:{gid}:{episode}"


def group_of(key: str) -> str:
    """The group id a linked key names: an episode key from here, or a plain group key (a Declare click)."""
    found = _KEY.match(key)
    return found.group(1) if found else group_id(key)


def openers(group: AlertGroup, config: AlertsConfig) -> list[Alert]:
    """The group's firing alerts whose severity opens incidents, oldest first."""
    wanted = {s.lower() for s in config.incident_severities}
    found = [
        a for a in group.alerts.values() if a.status == "firing" and a.labels.get("severity", "").lower() in wanted
    ]
    return sorted(found, key=lambda a: (a.starts_at, a.fingerprint))


def declaration(gid: str, group: AlertGroup, config: AlertsConfig) -> tuple[str, str, int] | None:
    """The key, title and severity the group's current episode is declared under, or None with
    nothing firing. The alerts whose severity opens incidents name it when there are any, so a
    Declare click on a group that opened its incident by itself finds that incident."""
    firing = openers(group, config) or sorted(
        (a for a in group.alerts.values() if a.status == "firing"), key=lambda a: (a.starts_at, a.fingerprint)
    )
    if not firing:
        return None
    first = firing[0]
    severity = min(severity_of(a.labels.get("severity", "")) for a in firing)
    return incident_key(gid, first.starts_at), incident_title(first), severity


def incident_title(alert: Alert) -> str:
    summary = alert.annotations.get("summary", "")
    name = alert.name or "Alert"
    return inert(f"{name}: {summary}" if summary else name, TITLE_LIMIT)


def _change_digest(alerts: Iterable[Alert]) -> str:
    state = sorted(f"{a.fingerprint}|{a.status}|{a.starts_at}|{a.ends_at}" for a in alerts)
    return hashlib.sha256("\n".join(state).encode()).hexdigest()[:24]


def newly_resolved(before: AlertGroup, notification: Notification) -> list[Alert]:
    """Alerts resolved now that were firing before."""
    resolved = []
    for alert in notification.alerts:
        known = before.alerts.get(alert.fingerprint)
        if alert.status == "resolved" and known is not None and known.status == "firing":
            resolved.append(alert)
    return resolved


def alert_line(alert: Alert) -> str:
    what = alert.annotations.get("summary") or alert.name or alert.fingerprint
    line = f"{'firing' if alert.status == 'firing' else 'resolved'}: {inert(alert.name or 'alert', 100)}"
    if what != alert.name:
        line += f" — {inert(what, 300)}"
    key_labels = {k: v for k, v in alert.labels.items() if k not in ("alertname", "__name__")}
    if key_labels:
        line += f" ({inert(', '.join(f'{k}={v}' for k, v in sorted(key_labels.items())), 200)})"
    if SAFE_URL.match(alert.generator_url):
        line += " · " + link(alert.generator_url, "Source")
    return line


def news_text(group: AlertGroup, firing: Sequence[Alert], resolved: Sequence[Alert]) -> str:
    changed = [*firing, *resolved]
    lines = [f"Alert group {title(group)}: {len(firing)} now firing, {len(resolved)} resolved."]
    lines.extend(alert_line(a) for a in changed[:NEWS_SHOWN])
    if len(changed) > NEWS_SHOWN:
        lines.append(f"… and {len(changed) - NEWS_SHOWN} more.")
    return "\n".join(lines)


def group_state(group: AlertGroup) -> str:
    alerts = sorted(group.alerts.values(), key=lambda a: (a.status != "firing", a.starts_at, a.fingerprint))
    firing = sum(1 for a in alerts if a.status == "firing")
    state = "RESOLVED" if group.resolved else f"FIRING ({firing} firing, {len(alerts) - firing} resolved)"
    lines = [f"Alert group {title(group)}: {state}"]
    lines.extend(f"- {alert_line(a)}" for a in alerts[:ALERTS_SHOWN])
    if len(alerts) > ALERTS_SHOWN:
        lines.append(f"- … and {len(alerts) - ALERTS_SHOWN} more")
    if group.truncated_alerts:
        lines.append(f"- Alertmanager left out {group.truncated_alerts} more alerts of this group")
    return "\n".join(lines)


async def current_alerts(store: AlertGroupStore, keys: Sequence[str]) -> str:
    """What the given linked groups show now, from the store (no Alertmanager call), for the Ops agent."""
    shown: list[str] = []
    seen: set[str] = set()
    for key in keys:
        gid = group_of(key)
        if gid in seen:
            continue
        seen.add(gid)
        group = await store.load(gid)
        shown.append(group_state(group) if group is not None else "An alert group no longer known to opsbot.")
    if len(shown) > GROUPS_SHOWN:
        shown = [*shown[:GROUPS_SHOWN], f"… and {len(shown) - GROUPS_SHOWN} more alert groups."]
    return "\n\n".join(shown) if shown else "No alert groups are linked."


class IncidentNews:
    """Declares a group's incident and tells it of the group's changes; run under the group's mutex."""

    def __init__(self, link: IncidentLink, store: AlertGroupStore, config: AlertsConfig) -> None:
        self._link = link
        self._store = store
        self._config = config

    async def changed(
        self, before: AlertGroup, after: AlertGroup, notification: Notification, firing: Sequence[Alert]
    ) -> AlertGroup:
        """``after`` (posted, with its message ts) with the incident it opened, if it opened one.
        ``firing`` are the alerts that started firing with ``notification``."""
        gid = group_id(after.group_key)
        after = await self._declared(gid, before, after)
        if after.incident_id is None:
            return after
        resolved = newly_resolved(before, notification)
        if firing or resolved:
            key = f"{gid}:{_change_digest([*firing, *resolved])}"
            await self._link.news(after.incident_id, key, news_text(after, firing, resolved))
        if after.resolved and not before.resolved and await self._all_linked_resolved(after):
            await self._link.all_resolved(after.incident_id, f"{gid}:{_change_digest(after.alerts.values())}")
        return after

    async def _declared(self, gid: str, before: AlertGroup, after: AlertGroup) -> AlertGroup:
        opening = openers(after, self._config)
        # A group that has an incident keeps it until it resolves; firing again after that opens a new one.
        if not opening or after.message_ts is None or (after.incident_id is not None and not before.resolved):
            return after
        declared = declaration(gid, after, self._config)
        assert declared is not None  # there are openers, so something is firing
        key, incident_title_, severity = declared
        incident_id = await self._link.declare(
            key, incident_title_, severity, SlackThread(after.channel, after.message_ts)
        )
        return after if incident_id is None else after.but(incident_id=incident_id)

    async def _all_linked_resolved(self, group: AlertGroup) -> bool:
        assert group.incident_id is not None
        gid = group_id(group.group_key)
        for key in await self._link.linked(group.incident_id):
            other_id = group_of(key)
            if other_id == gid:
                continue
            other = await self._store.load(other_id)
            if other is not None and not other.resolved:
                return False
        return True
