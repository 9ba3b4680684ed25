"""``list_alerts``: the alerts Alertmanager holds now, filtered by label equalities, silences shown.

Each alert: its name, severity, the labels that tell it apart, its summary (outside text: short,
one line), since when, and whether a silence (its comment, creator and end) or another alert
inhibits it. Sorted by severity, then oldest first; bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alertmanager import Alertmanager, HeldAlert, Matcher, Silence
from bot.errors import CommandError
from bot.investigation.looks import LookSpec, bounded
from bot.investigation.shown import labels_text, one_line, quoted, utc_minute
from bot.model import ChatMessage

SEVERITY_ORDER = ("critical", "error", "warning", "info")
MAX_MATCHERS = 10
SUMMARY_LIMIT = 160
COMMENT_LIMIT = 100
# Labels every alert has or that the line already shows; the rest tell alerts apart.
SHOWN_ELSEWHERE = frozenset({"alertname", "severity"})
MOST_LABELS = 6


def _matchers(given: Mapping[str, Any]) -> tuple[Matcher, ...]:
    raw = given.get("matchers")
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise CommandError('`matchers` must map label names to values, e.g. {"service": "api"}')
    if len(raw) > MAX_MATCHERS:
        raise CommandError(f"at most {MAX_MATCHERS} matchers")
    for name in raw:
        if not name or not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c == "_" for c in name):
            raise CommandError(f"{one_line(name, 40)!r} is not a label name")
    return tuple(Matcher(k, v) for k, v in sorted(raw.items()))


def _rank(alert: HeldAlert) -> tuple[int, datetime]:
    severity = alert.labels.get("severity", "")
    place = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    return place, alert.starts_at


def _silence_text(silence: Silence | None, silence_id: str) -> str:
    if silence is None:
        return f"silenced by {silence_id}"
    return (
        f"silenced until {utc_minute(silence.ends_at)} by {quoted(silence.created_by)}: "
        f"{quoted(one_line(silence.comment, COMMENT_LIMIT))}"
    )


def alert_line(alert: HeldAlert, silences: Mapping[str, Silence]) -> str:
    name = one_line(alert.labels.get("alertname", "(no alertname)"), 80)
    severity = one_line(alert.labels.get("severity", "none"), 20)
    own = {k: v for k, v in alert.labels.items() if k not in SHOWN_ELSEWHERE}
    text = f"- [{severity}] {name} {labels_text(own, most=MOST_LABELS)} since {utc_minute(alert.starts_at)}"
    summary = alert.annotations.get("summary")
    if summary:
        text += f": {quoted(one_line(summary, SUMMARY_LIMIT))}"
    for silence_id in alert.silenced_by[:2]:
        text += f"; {_silence_text(silences.get(silence_id), silence_id)}"
    if alert.inhibited_by:
        text += f"; inhibited by {len(alert.inhibited_by)} other alert(s)"
    return text


class ListAlerts:
    """The ``list_alerts`` look over an :class:`Alertmanager`."""

    spec = LookSpec(
        name="list_alerts",
        backend="Alertmanager",
        description=(
            "Alerts Alertmanager holds now (firing, silenced or inhibited), filtered by label equalities, "
            'e.g. {"service": "api"}; each with severity, labels, summary, since when and its silence.'
        ),
        properties={"matchers": {"type": "object", "additionalProperties": {"type": "string"}}},
    )

    def __init__(self, alertmanager: Alertmanager) -> None:
        self._alertmanager = alertmanager

    async def run(self, asked: ChatMessage, given: Mapping[str, Any]) -> str:
        matchers = _matchers(given)
        alerts = sorted(await self._alertmanager.alerts(matchers), key=_rank)
        wanted = {silence_id for alert in alerts for silence_id in alert.silenced_by}
        silences = {s.id: s for s in await self._alertmanager.silences()} if wanted else {}
        where = " with " + ", ".join(f"{m.name}={quoted(m.value)}" for m in matchers) if matchers else ""
        if not alerts:
            return f"No alerts{where}."
        silenced = sum(1 for a in alerts if a.silenced_by)
        lines = [f"{len(alerts)} alerts{where} ({silenced} silenced):"]
        lines += [alert_line(alert, silences) for alert in alerts]
        return bounded("\n".join(lines))
