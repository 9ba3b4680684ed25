"""An alert group's message: the text (with :mod:`bot.text` tokens) and its buttons.

The core composes; Slack's renderer (:mod:`bot.clients.slack_markup`) escapes
every plain run and cuts to Slack's limits. Labels and annotations are outside
text, so here they also lose what would still be formatting after escaping
(``*bold*``, ``_italic_``, ``~strike~``, backticks: zero-width spaces on both
sides keep a marker from opening or closing anything, however Slack reads word
boundaries) and anything posing as a token. A group of any size stays far
inside Slack's limits: the first :data:`SHOWN` alerts are listed, each cut to
a few hundred characters, and the rest are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

from bot.alerts.model import Alert
from bot.alerts.ports import AlertGroup, LastDeploy, group_id
from bot.model import Button
from bot.text import SAFE_URL, link, mention, strip_tokens

# The buttons' Slack action ids: wire strings the Slack handler routes clicks on. Each button's
# value is the group's id (bot.alerts.ports.group_id), which AlertGroupStore.load takes.
SILENCE_1H_ACTION: Final = "alert_silence_1h"
SILENCE_4H_ACTION: Final = "alert_silence_4h"
DECLARE_ACTION: Final = "alert_declare_incident"
ASK_ACTION: Final = "alert_ask_agent"

SHOWN = 20  # alerts listed one by one; the rest are counted
SUMMARY_LIMIT = 300
DESCRIPTION_LIMIT = 500
LABELS_LIMIT = 300
TITLE_LIMIT = 200
LINKED_ANNOTATIONS = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))
_MARKERS = re.compile(r"([*_~`])")


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: tuple[Button, ...]


def inert(text: str, limit: int) -> str:
    """Outside text shown as it is: no token, no live formatting, no line breaks, at most ``limit`` characters."""
    flat = " ".join(strip_tokens(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MARKERS.sub("\u200b\\1\u200b", flat)


def _pairs(labels: Mapping[str, str]) -> str:
    return inert(", ".join(f"{k}={v}" for k, v in sorted(labels.items())), LABELS_LIMIT)


def shared_labels(alerts: Iterable[Alert]) -> dict[str, str]:
    """The labels (name and value) every one of ``alerts`` has."""
    found: dict[str, str] | None = None
    for alert in alerts:
        found = dict(alert.labels) if found is None else {k: v for k, v in found.items() if alert.labels.get(k) == v}
    return found or {}


def title(group: AlertGroup) -> str:
    labels = group.group_labels or group.common_labels
    name = labels.get("alertname") or group.common_labels.get("alertname")
    if not name:
        names = sorted({a.name for a in group.alerts.values() if a.name})
        name = ", ".join(names[:3]) + (" …" if len(names) > 3 else "") if names else "Alerts"
    rest = {k: v for k, v in labels.items() if k != "alertname"}
    return inert(name + (f" ({', '.join(f'{k}={v}' for k, v in sorted(rest.items()))})" if rest else ""), TITLE_LIMIT)


def alertmanager_link(group: AlertGroup) -> str:
    """The group in Alertmanager's UI, filtered by its group labels."""
    if group.source != "alertmanager" or not SAFE_URL.match(group.external_url):
        return ""
    matchers = ",".join(f'{k}="{v}"' for k, v in sorted(group.group_labels.items()))
    url = f"{group.external_url.rstrip('/')}/#/alerts?filter={quote('{' + matchers + '}', safe='')}"
    return link(url, "Alertmanager")


def _links(alert: Alert) -> list[str]:
    found = []
    if SAFE_URL.match(alert.generator_url):
        found.append(link(alert.generator_url, "Source"))
    for name, label in LINKED_ANNOTATIONS:
        url = alert.annotations.get(name, "")
        if SAFE_URL.match(url):
            found.append(link(url, label))
    return found


def _alert_line(alert: Alert, shared: Mapping[str, str]) -> str:
    mark = "🔥" if alert.status == "firing" else "✅"
    what = alert.annotations.get("summary") or alert.name or alert.fingerprint
    line = f"{mark} {inert(what, SUMMARY_LIMIT)}"
    if description := alert.annotations.get("description"):
        line += f" — {inert(description, DESCRIPTION_LIMIT)}"
    if own := {k: v for k, v in alert.labels.items() if shared.get(k) != v}:
        line += f" ({_pairs(own)})"
    if links := _links(alert):
        line += " · " + " · ".join(links)
    return line


def ago(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def deploy_line(deploy: LastDeploy, now: float) -> str:
    return (
        f"{inert(deploy.service, 100)} was deployed {ago(now - deploy.at)} by {deploy.by}: "
        f"{inert(deploy.sha[:7] or deploy.ref, 100)} ({inert(deploy.ref, 100)} to {inert(deploy.environment, 100)}"
        f"{'' if deploy.status == 'success' else ', ' + inert(deploy.status, 40)})"
    )


def buttons(group: AlertGroup, *, silenceable: bool = True) -> tuple[Button, ...]:
    """``silenceable``: whether opsbot can reach Alertmanager's API (``ALERTMANAGER_URL``) to silence."""
    if group.resolved:
        return ()  # nothing left to silence or declare
    value = group_id(group.group_key)
    silence = (
        (Button("Silence 1h", SILENCE_1H_ACTION, value), Button("Silence 4h", SILENCE_4H_ACTION, value))
        if silenceable
        else ()
    )
    return (
        *silence,
        Button("Declare incident", DECLARE_ACTION, value),
        Button("Ask the Ops agent", ASK_ACTION, value),
    )


def render(group: AlertGroup, deploy: LastDeploy | None, now: float, *, silenceable: bool = True) -> Rendered:
    alerts = sorted(group.alerts.values(), key=lambda a: (a.status != "firing", a.starts_at, a.fingerprint))
    firing = sum(1 for a in alerts if a.status == "firing")
    state = "✅ **RESOLVED**" if group.resolved else f"🔥 **FIRING: {firing}**"
    lines = [f"{state} {title(group)}"]
    counts = f"{firing} firing, {len(alerts) - firing} resolved"
    if severity := group.common_labels.get("severity"):
        counts += f" · severity {inert(severity, 50)}"
    lines.append(counts)
    shared = shared_labels(alerts)
    if shared and len(alerts) > 1:
        lines.append(f"Labels: {_pairs(shared)}")
    lines.extend(_alert_line(a, shared if len(alerts) > 1 else {}) for a in alerts[:SHOWN])
    if hidden := alerts[SHOWN:]:
        hidden_firing = sum(1 for a in hidden if a.status == "firing")
        lines.append(f"… and {len(hidden)} more ({hidden_firing} firing)")
    if group.truncated_alerts:
        lines.append(f"Alertmanager left out {group.truncated_alerts} more alerts of this group.")
    if deploy is not None:
        lines.append(deploy_line(deploy, now))
    if group.incident_id:
        name = inert(group.incident_id, 100)
        lines.append(f"Incident {name} was declared for this group (its channel is linked in the thread).")
    if am := alertmanager_link(group):
        lines.append(am)
    if group.silenced_by and group.silenced_until is not None:
        until = datetime.fromtimestamp(group.silenced_until, UTC).strftime("%H:%M UTC")
        lines.append(f"🔕 Silenced by {mention('slack', group.silenced_by)} until {until}")
    if group.incident_id:
        lines.append(f"🚨 Incident {inert(group.incident_id, 100)}")
    return Rendered("\n".join(lines), buttons(group, silenceable=silenceable))


def joined_note(joined: Iterable[Alert]) -> str:
    """The threaded note when alerts start firing in a group that has a message (edits don't notify)."""
    names = [inert(a.annotations.get("summary") or a.name or a.fingerprint, SUMMARY_LIMIT) for a in joined]
    shown = "; ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"🔥 Now firing: {shown}"
