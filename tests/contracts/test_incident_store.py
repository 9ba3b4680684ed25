"""IncidentStore: the fake and the Redis store agree."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.incidents.fakes import FakeIncidentStore
from bot.incidents.model import Event, Incident
from bot.incidents.ports import IncidentStore
from bot.stores.incidents import RedisIncidentStore
from tests.contracts.conftest import Backend


@pytest.fixture
def incidents(backend: Backend) -> IncidentStore:
    return FakeIncidentStore(backend.clock) if backend.server is None else RedisIncidentStore(backend.client)


def incident(incident_id: str = "inc-20261203-api-down", **changes: object) -> Incident:
    declared = Incident(incident_id, "api down", 2, "U_ALICE", "U_BOB", 1_000.0, {"platform": "slack", "channel": "C"})
    return replace(declared, **changes)  # type: ignore[arg-type]


async def test_an_incident_is_found_by_id_and_by_its_channel(incidents: IncidentStore) -> None:
    await incidents.save(incident())
    assert await incidents.by_channel("C_INC") is None
    await incidents.save(incident(channel="C_INC", summary_ts="1.5"))
    assert await incidents.get("inc-20261203-api-down") == incident(channel="C_INC", summary_ts="1.5")
    found = await incidents.by_channel("C_INC")
    assert found is not None
    assert found.summary_ts == "1.5"
    assert await incidents.get("inc-nothing") is None


async def test_a_console_room_is_kept_and_a_record_from_before_rooms_had_a_platform_is_slack_s(
    incidents: IncidentStore,
) -> None:
    await incidents.save(incident(channel="inc-20261203-api-down", room_platform="console"))
    found = await incidents.by_channel("inc-20261203-api-down")
    assert found is not None
    assert found.room_platform == "console"
    before = json.loads(incident().to_json())
    del before["room_platform"]
    assert Incident.from_json(json.dumps(before)).room_platform == "slack"


async def test_only_open_incidents_are_listed_open(incidents: IncidentStore) -> None:
    await incidents.save(incident("inc-b"))
    await incidents.save(incident("inc-a"))
    await incidents.save(incident("inc-c"))
    assert await incidents.open_ids() == ["inc-a", "inc-b", "inc-c"]
    await incidents.save(incident("inc-b", status="resolved", resolved_at=2_000.0))
    assert await incidents.open_ids() == ["inc-a", "inc-c"]


async def test_the_first_incident_claimed_for_a_request_wins(incidents: IncidentStore) -> None:
    assert await incidents.by_request("m-1") is None
    assert await incidents.claim_request("m-1", "inc-first") == "inc-first"
    assert await incidents.claim_request("m-1", "inc-second") == "inc-first"
    assert await incidents.by_request("m-1") == "inc-first"


async def test_the_timeline_takes_each_event_once_in_order(incidents: IncidentStore) -> None:
    first = Event("m-1", 1.0, "U_BOB", "declared", "api down")
    second = Event("m-2", 2.0, "U_ALICE", "update", "rolled back")
    assert await incidents.append("inc-a", first) is True
    assert await incidents.append("inc-a", second) is True
    assert await incidents.append("inc-a", replace(first, text="again")) is False
    assert await incidents.timeline("inc-a") == [first, second]
    assert await incidents.timeline("inc-b") == []


async def test_an_incident_an_alert_opened_keeps_its_groups_and_no_commander(incidents: IncidentStore) -> None:
    opened = incident(commander=None, declared_by="opsbot", alert_groups=('{}:{alertname="ApiDown"}',))
    await incidents.save(opened)
    assert await incidents.get(opened.id) == opened


async def test_an_alert_group_is_claimed_once_beside_declare_requests(incidents: IncidentStore) -> None:
    assert await incidents.claim_request("alert-group:abc", "inc-alerted") == "inc-alerted"
    assert await incidents.claim_request("alert-group:abc", "inc-alerted-2") == "inc-alerted"
    assert await incidents.by_request("alert-group:abc") == "inc-alerted"
    assert await incidents.by_request("m-1") is None
