"""An in-memory ``Alertmanager`` beside its port, for the unit tests of silences and reconciling.

It keeps silences and alerts as Alertmanager does, as far as opsbot can tell: a silence is pending,
active or expired by the clock; an alert a silence covers is reported ``suppressed`` and
``silenced_by`` it; an expired silence stays listed. ``hold`` puts an alert in (what Prometheus
would send), ``down`` makes every call fail as an unreachable Alertmanager does. The suite in
tests/contracts/test_alertmanager_port.py holds it and the real client to the same behaviour.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.alertmanager import HeldAlert, Matcher, NewSilence, Silence, SilenceState
from bot.errors import UpstreamRejected, UpstreamUnavailable
from bot.fakes import Clock

SERVICE = "Alertmanager"


def _covers(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(labels.get(m.name) == m.value for m in matchers)


class FakeAlertmanager:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._silences: dict[str, Silence] = {}
        self._alerts: dict[str, HeldAlert] = {}
        self.down = False
        self.created: list[NewSilence] = []  # every silence asked for, in order

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _check_up(self) -> None:
        if self.down:
            raise UpstreamUnavailable(SERVICE, "no answer (ClientConnectorError)")

    def _state(self, silence: Silence) -> SilenceState:
        now = self._now()
        if silence.ends_at <= now:
            return "expired"
        return "pending" if silence.starts_at > now else "active"

    def _current(self, silence: Silence) -> Silence:
        return replace(silence, state=self._state(silence))

    def hold(self, alert: HeldAlert) -> None:
        """Alertmanager now holds ``alert`` (its state and silences are worked out when read)."""
        self._alerts[alert.fingerprint] = alert

    def drop(self, fingerprint: str) -> None:
        """Alertmanager forgot the alert, as it does soon after one resolves."""
        self._alerts.pop(fingerprint, None)

    async def create_silence(self, silence: NewSilence) -> str:
        self._check_up()
        if not silence.matchers:
            raise UpstreamRejected(SERVICE, "HTTP 422 (matchers in body should have at least 1 items)", status=422)
        if silence.ends_at <= silence.starts_at:
            raise UpstreamRejected(
                SERVICE, "HTTP 400 (Failed to create silence: start time must be before end time)", status=400
            )
        self.created.append(silence)
        silence_id = str(uuid.uuid4())
        now = self._now()
        self._silences[silence_id] = Silence(
            id=silence_id,
            matchers=silence.matchers,
            # Alertmanager starts a silence dated in the past from now.
            starts_at=max(silence.starts_at, now),
            ends_at=silence.ends_at,
            created_by=silence.created_by,
            comment=silence.comment,
            state="active",
            updated_at=now,
        )
        return silence_id

    async def silence(self, silence_id: str) -> Silence | None:
        self._check_up()
        found = self._silences.get(silence_id)
        return None if found is None else self._current(found)

    async def silences(self, matchers: Sequence[Matcher] = ()) -> list[Silence]:
        self._check_up()
        return [
            self._current(s)
            for s in self._silences.values()
            if _covers(matchers, {m.name: m.value for m in s.matchers})
        ]

    async def expire_silence(self, silence_id: str) -> None:
        self._check_up()
        found = self._silences.get(silence_id)
        if found is None:
            raise UpstreamRejected(SERVICE, "not found (silence not found)", status=404)
        if self._state(found) != "expired":
            now = self._now()
            self._silences[silence_id] = replace(
                found, ends_at=now, updated_at=now, starts_at=min(found.starts_at, now)
            )

    async def alerts(
        self,
        matchers: Sequence[Matcher] = (),
        *,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
    ) -> list[HeldAlert]:
        self._check_up()
        found = []
        for alert in self._alerts.values():
            if not _covers(matchers, alert.labels):
                continue
            by = tuple(
                s.id
                for s in self._silences.values()
                if self._state(s) == "active" and _covers(s.matchers, alert.labels)
            )
            current = replace(alert, silenced_by=by, state="suppressed" if by or alert.inhibited_by else "active")
            if (by and not silenced) or (alert.inhibited_by and not inhibited):
                continue
            if current.state == "active" and not active:
                continue
            found.append(current)
        return found
