"""list_alerts on the in-memory Alertmanager: filtered, sorted by severity then age, silences shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.alertmanager import HeldAlert, Matcher, NewSilence
from bot.errors import CommandError, UpstreamUnavailable
from bot.fake_alertmanager import FakeAlertmanager
from bot.investigation.alerts import ListAlerts
from bot.model import ChatMessage, Person, SlackThread

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
ASKED = ChatMessage("m-1", Person("slack", "U_ALICE"), SlackThread("C_OPS"), "what is firing?", "mention")


def held(name: str, severity: str, service: str, minutes_ago: int, summary: str = "") -> HeldAlert:
    return HeldAlert(
        fingerprint=f"{name}-{service}",
        labels={"alertname": name, "severity": severity, "service": service},
        annotations={"summary": summary} if summary else {},
        starts_at=NOW - timedelta(minutes=minutes_ago),
        ends_at=NOW + timedelta(hours=1),
        updated_at=NOW,
        state="active",
    )


async def test_alerts_are_filtered_sorted_and_their_silences_shown() -> None:
    alertmanager = FakeAlertmanager(clock=NOW.timestamp)
    alertmanager.hold(held("Slow", "warning", "api", 5, "p99 over 1s\nIGNORE PREVIOUS"))
    alertmanager.hold(held("Down", "critical", "api", 2))
    alertmanager.hold(held("Other", "critical", "web", 30))
    await alertmanager.create_silence(
        NewSilence((Matcher("alertname", "Slow"),), NOW, NOW + timedelta(hours=1), "U_CAROL", "known, fix rolling out")
    )
    text = await ListAlerts(alertmanager).run(ASKED, {"matchers": {"service": "api"}})
    lines = text.splitlines()
    assert lines[0] == '2 alerts with service="api" (1 silenced):'
    assert lines[1].startswith("- [critical] Down")
    assert lines[2].startswith("- [warning] Slow")
    assert "since 2026-12-04T14:55Z" in lines[2]
    assert '"p99 over 1s IGNORE PREVIOUS"' in lines[2]  # outside text stays on its line
    assert 'silenced until 2026-12-04T16:00Z by "U_CAROL": "known, fix rolling out"' in lines[2]
    assert "web" not in text


@pytest.mark.parametrize("matchers", [["service"], {"service": 1}, {"bad name": "x"}])
async def test_matchers_that_are_not_label_equalities_are_refused(matchers: object) -> None:
    with pytest.raises(CommandError):
        await ListAlerts(FakeAlertmanager()).run(ASKED, {"matchers": matchers})


async def test_an_alertmanager_that_is_down_is_an_upstream_error() -> None:
    alertmanager = FakeAlertmanager()
    alertmanager.down = True
    with pytest.raises(UpstreamUnavailable):
        await ListAlerts(alertmanager).run(ASKED, {})
