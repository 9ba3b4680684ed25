"""An alert group's message: what it shows, what it never lets outside text do, and Slack's limits."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.model import Alert
from bot.alerts.ports import AlertGroup, LastDeploy
from bot.alerts.render import ASK_ACTION, SHOWN, render
from bot.clients.slack_markup import blocks, message_text
from bot.model import Person
from handlers.alertmanager_payload import parse_notification
from tests import alert_payloads
from tests.emulators.slack import message_problem

NOW = 1_800_000_000.0
HOSTILE = ["<!channel>", "<@U123>", "<http://evil|click>", "*bold*", "&", "_it_", "~gone~", "`code`", "**loud**"]


def group_of(path: object, **changes: object) -> AlertGroup:
    found = parse_notification(alert_payloads.body(path))  # type: ignore[arg-type]
    group = AlertGroup(
        group_key=found.group_key,
        channel="C_ALERTS",
        message_ts=None,
        alerts={a.fingerprint: a for a in found.alerts},
        group_labels=found.group_labels,
        common_labels=found.common_labels,
        external_url=found.external_url,
        first_seen=NOW,
        last_notified=NOW,
        source=found.source,
    )
    return group.but(**changes)


def slack(text: str) -> str:
    return message_text(text)


def test_the_published_alertmanager_group_shows_its_alert_and_links() -> None:
    shown = render(group_of(alert_payloads.ALERTMANAGER), None, NOW)
    text = slack(shown.text)
    assert text.startswith("🔥 *FIRING: 1* ProbeFailure")
    assert "1 firing, 0 resolved · severity critical" in text
    assert "BlackBox Probe Failure: https://server.example.org — Instance https://server.example.org" in text
    assert "<http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0" in text
    [alertmanager] = [line for line in text.splitlines() if line.endswith("|Alertmanager>")]
    assert alertmanager.startswith("<http://prometheus.example.org:9093/#/alerts?filter=")
    assert unquote(alertmanager.split("filter=")[1].split("|")[0]) == '{alertname="ProbeFailure"}'
    assert [b.label for b in shown.buttons] == ["Silence 1h", "Silence 4h", "Declare incident", "Ask the Ops agent"]
    assert shown.buttons[-1].action == ASK_ACTION


def test_the_published_grafana_group_shows_labels_that_differ_and_runbooks() -> None:
    text = slack(render(group_of(alert_payloads.GRAFANA), None, NOW).text)
    assert "High CPU usage, High memory usage" in text.splitlines()[0]
    assert "Labels: team=blue" in text
    assert "(alertname=High memory usage, zone=us-1)" in text
    assert text.count("|Runbook>") == 2
    assert "|Alertmanager>" not in text  # Grafana's externalURL is not Alertmanager's UI


def test_only_http_links_are_live() -> None:
    group = group_of(alert_payloads.ALERTMANAGER)
    [alert] = group.alerts.values()
    sly = Alert(
        alert.fingerprint, "firing", alert.labels,
        {"summary": "s", "runbook_url": "javascript:alert(1)", "dashboard_url": "https://grafana.example/d/1"},
        alert.starts_at, alert.ends_at, "file:///etc/passwd",
    )  # fmt: skip
    text = slack(render(group.but(alerts={sly.fingerprint: sly}), None, NOW).text)
    assert "<https://grafana.example/d/1|Dashboard>" in text
    assert "javascript" not in text
    assert "file://" not in text


def test_outside_text_is_never_live_slack_formatting() -> None:
    group = group_of(alert_payloads.ALERTMANAGER)
    [alert] = group.alerts.values()
    hostile = " ".join(HOSTILE)
    evil = Alert(
        alert.fingerprint, "firing", {**alert.labels, "team": hostile}, {"summary": hostile, "description": hostile},
        alert.starts_at, alert.ends_at, alert.generator_url,
    )  # fmt: skip
    rendered = slack(
        render(group.but(alerts={evil.fingerprint: evil}, group_labels={"alertname": hostile}), None, NOW).text
    )
    # What people read: the links' URLs (percent-encoded, opsbot's own) aside.
    text = re.sub(r"<https?://[^|>]*\|", "<", rendered)
    for live in ("<!channel>", "<@U123>", "<http://evil|click>", "*bold*", "_it_", "~gone~", "`code`", "*loud*"):
        assert live not in text
    assert "&lt;!channel&gt;" in text
    assert "&lt;@U123&gt;" in text
    assert " &amp; " in text


def test_the_last_deploy_is_told_with_who_did_it() -> None:
    deploy = LastDeploy("api", "production", "main", "abc1234ffff", Person("slack", "U_ALICE").ref, NOW - 12 * 60)
    text = slack(render(group_of(alert_payloads.ALERTMANAGER), deploy, NOW).text)
    assert "api was deployed 12 min ago by <@U_ALICE>: abc1234 (main to production)" in text


def test_hundreds_of_alerts_are_summarised() -> None:
    group = group_of(alert_payloads.ALERTMANAGER)
    [alert] = group.alerts.values()
    many = {
        f"fp{i}": Alert(
            f"fp{i}",
            "firing" if i % 3 else "resolved",
            {**alert.labels, "instance": f"host-{i}"},
            {"summary": "x" * 2000},
            f"2023-02-06T13:{i % 60:02d}:00Z",
            alert.ends_at,
        )
        for i in range(500)
    }
    text = slack(render(group.but(alerts=many, truncated_alerts=12), None, NOW).text)
    assert f"… and {500 - SHOWN} more ({333 - SHOWN} firing)" in text
    assert "Alertmanager left out 12 more alerts" in text
    assert "333 firing, 167 resolved" in text


LABEL_TEXT = st.text(max_size=60) | st.sampled_from(HOSTILE)
ALERTS = st.builds(
    lambda fp, status, labels, annotations, url: Alert(fp, status, labels, annotations, "s", "e", url),
    st.text(min_size=1, max_size=16),
    st.sampled_from(["firing", "resolved"]),
    st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=4),
    st.dictionaries(
        st.sampled_from(["summary", "description", "runbook_url", "dashboard_url"]),
        LABEL_TEXT | st.text(min_size=2000, max_size=5000, alphabet="<&*_>a"),
        max_size=4,
    ),
    st.sampled_from(["", "http://x.example/<>|", "https://prom.example/graph?g0=1"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    alerts=st.lists(ALERTS, max_size=40)
    | st.integers(0, 1000).flatmap(
        lambda n: st.lists(ALERTS, min_size=n, max_size=n, unique_by=lambda a: a.fingerprint).map(lambda xs: xs)
    ),
    group_labels=st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=4),
    truncated=st.integers(0, 10**9),
)
def test_every_rendered_group_is_a_message_slack_accepts(
    alerts: list[Alert], group_labels: dict[str, str], truncated: int
) -> None:
    group = group_of(alert_payloads.ALERTMANAGER).but(
        alerts={a.fingerprint: a for a in alerts}, group_labels=group_labels, truncated_alerts=truncated
    )
    shown = render(group, None, NOW)
    params = {"text": message_text(shown.text), "blocks": json.dumps(blocks(shown.text, shown.buttons))}
    assert message_problem(params) is None
    assert len(params["text"]) <= 40_000
