"""AlertGroupStore: the fake and the Redis store agree."""

from __future__ import annotations

import pytest

from bot.alerts.fakes import FakeAlertGroupStore
from bot.alerts.model import Alert
from bot.alerts.ports import KEEP_FOR, AlertGroup, AlertGroupStore, group_id
from bot.stores.alerts import RedisAlertGroupStore
from tests.contracts.conftest import Backend


@pytest.fixture
def groups(backend: Backend) -> AlertGroupStore:
    return FakeAlertGroupStore(backend.clock) if backend.server is None else RedisAlertGroupStore(backend.client)


KEY = '{}/{severity="critical"}:{alertname="ProbeFailure"}'
ALERT = Alert(
    "1a30ba71cca2921f",
    "firing",
    {"alertname": "ProbeFailure", "severity": "critical"},
    {"summary": "down <!channel>"},
    "2023-02-06T13:08:45.828Z",
    "0001-01-01T00:00:00Z",
    "http://prometheus.example.org:9090/graph",
)
GROUP = AlertGroup(
    group_key=KEY,
    channel="C_ALERTS",
    message_ts="1700000000.000100",
    alerts={ALERT.fingerprint: ALERT},
    group_labels={"alertname": "ProbeFailure"},
    common_labels={"alertname": "ProbeFailure", "severity": "critical"},
    external_url="http://prometheus.example.org:9093",
    first_seen=1_700_000_000.0,
    last_notified=1_700_000_060.0,
    truncated_alerts=2,
)


async def test_a_group_is_found_by_its_id_as_it_was_saved(groups: AlertGroupStore) -> None:
    assert await groups.load(group_id(KEY)) is None
    await groups.save(GROUP)
    assert await groups.load(group_id(KEY)) == GROUP
    assert await groups.load(group_id(KEY + " ")) is None


async def test_saving_replaces_the_group_with_every_field(groups: AlertGroupStore) -> None:
    await groups.save(GROUP)
    resolved = Alert(**{**vars(ALERT), "status": "resolved", "ends_at": "2023-02-06T14:00:00Z"})
    silenced = GROUP.but(
        alerts={ALERT.fingerprint: resolved},
        silence_id="5f2c",
        silenced_until=1_700_003_600.5,
        silenced_by="U_CAROL",
        incident_id="inc-1",
        source="grafana",
    )
    await groups.save(silenced)
    assert await groups.load(group_id(KEY)) == silenced


async def test_a_group_is_forgotten_long_after_its_last_save(backend: Backend, groups: AlertGroupStore) -> None:
    await groups.save(GROUP)
    if backend.server is None:
        await backend.later(KEEP_FOR + 1)
        assert await groups.load(group_id(KEY)) is None
    else:
        ttl = await backend.client.ttl(f"opsbot:alert-group:{group_id(KEY)}")
        assert KEEP_FOR - 10 < ttl <= KEEP_FOR
