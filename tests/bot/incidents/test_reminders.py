"""Reminder arithmetic: when an open incident next deserves a nudge, and how long a snooze lasts."""

from __future__ import annotations

import pytest

from bot.incidents.model import Incident
from bot.incidents.reminders import DEFAULT_SNOOZE, MAX_SNOOZE, quiet_until, reminder_text, snooze_minutes

DECLARED = 1_764_000_000.0


def incident(severity: int, *, last_update_at: float = DECLARED, snoozed_until: float = 0.0) -> Incident:
    return Incident(
        id="inc-20251124-db", title="db down", severity=severity, commander="U_CMD", declared_by="U_CMD",
        declared_at=DECLARED, declared_in={"platform": "slack", "channel": "C1"}, last_update_at=last_update_at,
        snoozed_until=snoozed_until,
    )  # fmt: skip


@pytest.mark.parametrize(("severity", "minutes"), [(1, 15), (2, 30), (3, 60), (4, 120)])
def test_the_worse_the_incident_the_sooner_a_quiet_one_is_nudged(severity: int, minutes: int) -> None:
    assert quiet_until(incident(severity)) == DECLARED + minutes * 60


def test_an_update_moves_the_next_reminder() -> None:
    updated = incident(2, last_update_at=DECLARED + 600)
    assert quiet_until(updated) == DECLARED + 600 + 30 * 60


def test_a_snooze_longer_than_the_grace_wins_and_a_shorter_one_does_not() -> None:
    assert quiet_until(incident(1, snoozed_until=DECLARED + 3600)) == DECLARED + 3600
    assert quiet_until(incident(1, snoozed_until=DECLARED + 60)) == DECLARED + 15 * 60


def test_a_snooze_lasts_what_was_asked_the_default_or_at_most_a_day() -> None:
    assert snooze_minutes(45) == 45
    assert snooze_minutes(None) == DEFAULT_SNOOZE
    assert snooze_minutes(0) == DEFAULT_SNOOZE
    assert snooze_minutes(10_000) == MAX_SNOOZE == 24 * 60


def test_a_reminder_says_how_long_it_has_been_quiet_and_names_the_commander() -> None:
    text = reminder_text(incident(1), DECLARED + 17 * 60 + 59)
    assert text.startswith("⏰ No status update for 17 minutes (sev1 expects one every 15).")
    assert "U_CMD" in text
    assert "`/ops incident update <text>`" in text
