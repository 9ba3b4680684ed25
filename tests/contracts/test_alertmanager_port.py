"""The Alertmanager port: the in-memory fake and the client on the suite's real Alertmanager agree.

The real run needs the session's Alertmanager (tests/alerting_servers.py); ``make unit`` runs the
fake half alone. Alerts are put into the real one as Prometheus does, by ``POST /api/v2/alerts``;
each test's labels carry its own ``test_id``, so silences and alerts of other tests never match.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.alertmanager import Alertmanager, HeldAlert, Matcher, NewSilence
from bot.errors import UpstreamRejected
from bot.fake_alertmanager import FakeAlertmanager


@dataclass
class AlertmanagerUnderTest:
    port: Alertmanager
    test_id: str
    hold: Callable[[Mapping[str, str]], Awaitable[None]]  # Alertmanager now holds a firing alert with these labels


def _now() -> datetime:
    # Alertmanager keeps milliseconds; so do the times the tests compare.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@pytest.fixture(params=["fake", pytest.param("alertmanager", marks=pytest.mark.needs_alerting)])
def alertmanager(request: pytest.FixtureRequest) -> AlertmanagerUnderTest:
    test_id = f"contract-{uuid.uuid4().hex[:12]}"
    if request.param == "fake":
        fake = FakeAlertmanager()

        async def hold_in_fake(labels: Mapping[str, str]) -> None:
            fake.hold(
                HeldAlert(
                    fingerprint=uuid.uuid4().hex[:16],
                    labels=dict(labels),
                    annotations={"summary": "down"},
                    starts_at=_now(),
                    ends_at=_now() + timedelta(minutes=5),
                    updated_at=_now(),
                    state="active",
                )
            )

        return AlertmanagerUnderTest(fake, test_id, hold_in_fake)

    from bot.clients.alertmanager import AlertmanagerClient
    from tests.alerting_servers import AlertingServers

    servers: AlertingServers = request.getfixturevalue("alerting")

    async def hold_in_alertmanager(labels: Mapping[str, str]) -> None:
        alert = {
            "labels": dict(labels),
            "annotations": {"summary": "down"},
            "startsAt": _now().isoformat(),
            "endsAt": (_now() + timedelta(minutes=5)).isoformat(),
            "generatorURL": "http://prometheus.example/graph",
        }
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{servers.alertmanager_url}/api/v2/alerts", json=[alert])
            answer.raise_for_status()

    return AlertmanagerUnderTest(AlertmanagerClient(servers.alertmanager_url), test_id, hold_in_alertmanager)


def _silence(test_id: str, *, hours: float = 1, starts_in: float = 0, service: str = "api") -> NewSilence:
    start = _now() + timedelta(hours=starts_in)
    return NewSilence(
        matchers=(Matcher("test_id", test_id), Matcher("service", service)),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        created_by="U_CAROL",
        comment="Silenced from Slack: alert group message in #alerts",
    )


async def test_a_created_silence_is_read_back_as_it_was_asked_for(alertmanager: AlertmanagerUnderTest) -> None:
    asked = _silence(alertmanager.test_id)
    silence_id = await alertmanager.port.create_silence(asked)

    found = await alertmanager.port.silence(silence_id)
    assert found is not None
    assert found.id == silence_id
    assert found.matchers == asked.matchers
    assert (found.created_by, found.comment) == (asked.created_by, asked.comment)
    assert found.ends_at == asked.ends_at
    assert found.state == "active"
    assert found.other_matchers == ()


async def test_silences_are_listed_by_their_matchers(alertmanager: AlertmanagerUnderTest) -> None:
    api = await alertmanager.port.create_silence(_silence(alertmanager.test_id, service="api"))
    web = await alertmanager.port.create_silence(_silence(alertmanager.test_id, service="web"))
    mine = Matcher("test_id", alertmanager.test_id)

    assert {s.id for s in await alertmanager.port.silences([mine])} == {api, web}
    assert [s.id for s in await alertmanager.port.silences([mine, Matcher("service", "web")])] == [web]
    assert await alertmanager.port.silences([mine, Matcher("service", "db")]) == []


async def test_a_silence_that_starts_later_is_pending(alertmanager: AlertmanagerUnderTest) -> None:
    silence_id = await alertmanager.port.create_silence(_silence(alertmanager.test_id, starts_in=1))
    found = await alertmanager.port.silence(silence_id)
    assert found is not None
    assert found.state == "pending"


async def test_an_expired_silence_stays_listed_as_expired_and_expiring_it_again_is_fine(
    alertmanager: AlertmanagerUnderTest,
) -> None:
    silence_id = await alertmanager.port.create_silence(_silence(alertmanager.test_id))
    await alertmanager.port.expire_silence(silence_id)
    await alertmanager.port.expire_silence(silence_id)

    found = await alertmanager.port.silence(silence_id)
    assert found is not None
    assert found.state == "expired"
    assert found.ends_at <= datetime.now(UTC)
    assert [s.state for s in await alertmanager.port.silences([Matcher("test_id", alertmanager.test_id)])] == [
        "expired"
    ]


async def test_an_unknown_silence_is_none_and_cannot_be_expired(alertmanager: AlertmanagerUnderTest) -> None:
    unknown = str(uuid.uuid4())
    assert await alertmanager.port.silence(unknown) is None
    with pytest.raises(UpstreamRejected) as refused:
        await alertmanager.port.expire_silence(unknown)
    assert refused.value.status == 404


async def test_a_silence_ending_before_it_starts_is_refused_with_alertmanagers_reason(
    alertmanager: AlertmanagerUnderTest,
) -> None:
    with pytest.raises(UpstreamRejected) as refused:
        await alertmanager.port.create_silence(_silence(alertmanager.test_id, hours=-1))
    assert refused.value.status == 400
    assert "start time must be before end time" in refused.value.detail


async def test_a_silence_without_matchers_is_refused(alertmanager: AlertmanagerUnderTest) -> None:
    asked = _silence(alertmanager.test_id)
    with pytest.raises(UpstreamRejected) as refused:
        await alertmanager.port.create_silence(NewSilence((), asked.starts_at, asked.ends_at, "U_CAROL", "x"))
    assert refused.value.status == 422
    assert "matchers" in refused.value.detail


async def test_a_silenced_alert_is_reported_silenced_until_the_silence_expires(
    alertmanager: AlertmanagerUnderTest,
) -> None:
    test_id = alertmanager.test_id
    await alertmanager.hold({"alertname": "ApiDown", "test_id": test_id, "service": "api", "severity": "critical"})
    await alertmanager.hold({"alertname": "WebDown", "test_id": test_id, "service": "web", "severity": "warning"})
    mine = Matcher("test_id", test_id)

    [before] = await alertmanager.port.alerts([mine, Matcher("service", "api")])
    assert before.labels["alertname"] == "ApiDown"
    assert before.annotations == {"summary": "down"}
    assert not before.silenced

    silence_id = await alertmanager.port.create_silence(_silence(test_id, service="api"))
    held = {a.labels["service"]: a for a in await alertmanager.port.alerts([mine])}
    assert held["api"].silenced_by == (silence_id,)
    assert held["api"].state == "suppressed"
    assert not held["web"].silenced
    assert held["web"].state == "active"
    assert [a.labels["service"] for a in await alertmanager.port.alerts([mine], silenced=False)] == ["web"]
    assert [a.labels["service"] for a in await alertmanager.port.alerts([mine], active=False)] == ["api"]

    await alertmanager.port.expire_silence(silence_id)
    [after] = await alertmanager.port.alerts([mine, Matcher("service", "api")])
    assert not after.silenced
    assert after.state == "active"
