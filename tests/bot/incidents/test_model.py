"""An incident's channel name and its timeline's lines."""

from __future__ import annotations

import json

from bot.incidents.model import SLUG_LENGTH, Event, Incident, slug, summary_text, timeline_text


def test_a_slug_is_lowercase_words_joined_by_dashes_cut_to_its_length() -> None:
    assert slug("Checkout is DOWN!! (EU)") == "checkout-is-down-eu"
    assert slug("🔥🔥") == "incident"
    long = slug("a" * 30 + " " + "b" * 30)
    assert len(long) <= SLUG_LENGTH
    assert not long.endswith("-")


def test_each_event_is_one_line_whatever_its_text_holds() -> None:
    events = [
        Event("r1", 0.0, "opsbot", "declared", "db down"),
        Event("r2", 3600.0 + 120, "github:octocat", "update", "first\n- second\n\nthird"),
    ]
    lines = timeline_text(events).split("\n")
    assert len(lines) == 2
    assert lines[0] == "- 00:00 UTC · declared · opsbot: db down"
    assert lines[1].startswith("- 01:02 UTC · update · ")
    assert lines[1].endswith(": first - second third")


def test_an_incident_survives_json() -> None:
    incident = Incident("inc-1", "t", 2, "U1", "U1", 1.0, {"platform": "slack", "channel": "C1"}, channel="C9")
    assert Incident.from_json(incident.to_json()) == incident


def test_an_incident_an_alert_opened_survives_json_and_older_records_still_load() -> None:
    incident = Incident(
        "inc-1", "t", 1, None, "opsbot", 1.0, {"platform": "slack", "channel": "C1"}, alert_groups=("g1", "g2")
    )
    assert Incident.from_json(incident.to_json()) == incident
    older = json.loads(incident.to_json())
    del older["alert_groups"]
    assert Incident.from_json(json.dumps(older)).alert_groups == ()


def test_an_incident_without_a_commander_says_how_to_take_it() -> None:
    nobody = Incident("inc-1", "t", 1, None, "opsbot", 1.0, {"platform": "slack", "channel": "C1"})
    assert "Commander: nobody yet (take it with `/ops incident commander @your-name`)" in summary_text(nobody)
    assert "Declared by opsbot" in summary_text(nobody)
