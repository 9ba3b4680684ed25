"""What opsbot asks of Alertmanager, in its own words: silences and the alerts it holds.

Below the features: the alerts feature silences and reconciles through it, and the Ops agent's
``list_alerts`` look (bot.investigation) reads the alerts it holds.

``Alertmanager`` is the port; bot/clients/alertmanager.py implements it over Alertmanager's API v2
(``ALERTMANAGER_URL``) and bot/fake_alertmanager.py in memory. The values mirror API v2's
``gettableSilence`` and ``gettableAlert``, reduced to what opsbot reads.

Failures come out as the core's errors (bot/errors.py): ``UpstreamUnavailable`` when Alertmanager
could not be reached, timed out or answered 5xx (worth retrying, within limits), and
``UpstreamRejected`` with Alertmanager's own message when it refused the request (4xx; an unknown
silence id included). A retried ``create_silence`` may create a second silence when the first call
reached Alertmanager but its answer was lost: Alertmanager has no idempotency key, so a caller that
must not duplicate looks for its own ``comment`` among ``silences()`` before trying again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

SilenceState = Literal["active", "pending", "expired"]
AlertState = Literal["active", "suppressed", "unprocessed"]


@dataclass(frozen=True)
class Matcher:
    """``name="value"``: label equality, the only kind opsbot creates or filters by."""

    name: str
    value: str


@dataclass(frozen=True)
class NewSilence:
    """A silence to create. Times carry their time zone; Alertmanager keeps them in UTC."""

    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str  # who asked, e.g. the Slack user id of the person who clicked
    comment: str  # why, and where from (Alertmanager requires one)


@dataclass(frozen=True)
class Silence:
    """A silence as Alertmanager holds it. ``matchers`` holds only equality matchers; one
    created elsewhere with regex or negative matchers has ``other_matchers`` set instead of losing
    them silently."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: SilenceState
    updated_at: datetime
    other_matchers: tuple[str, ...] = ()  # e.g. 'env=~"prod|staging"', 'team!="db"'


@dataclass(frozen=True)
class HeldAlert:
    """One alert Alertmanager holds now (``GET /api/v2/alerts``)."""

    fingerprint: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime  # when it resolves unless re-sent; past means resolved
    updated_at: datetime
    state: AlertState  # "suppressed" when silenced or inhibited
    generator_url: str | None = None
    silenced_by: tuple[str, ...] = ()  # silence ids
    inhibited_by: tuple[str, ...] = ()  # fingerprints of the inhibiting alerts
    receivers: tuple[str, ...] = field(default=())

    @property
    def silenced(self) -> bool:
        return bool(self.silenced_by)


class Alertmanager(Protocol):
    async def create_silence(self, silence: NewSilence) -> str:
        """Create ``silence``; its id."""
        ...

    async def silence(self, silence_id: str) -> Silence | None:
        """The silence with this id, expired ones included; None when Alertmanager knows none."""
        ...

    async def silences(self, matchers: Sequence[Matcher] = ()) -> list[Silence]:
        """Every silence (expired ones too, until Alertmanager forgets them) whose own matchers
        include all of ``matchers``."""
        ...

    async def expire_silence(self, silence_id: str) -> None:
        """End the silence now. Expiring an expired one is fine; an unknown id is rejected."""
        ...

    async def alerts(
        self,
        matchers: Sequence[Matcher] = (),
        *,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
    ) -> list[HeldAlert]:
        """The alerts Alertmanager holds whose labels match all of ``matchers``; the flags say
        whether active, silenced and inhibited ones are included. Resolved alerts are not
        held for long: Alertmanager drops them soon after they end."""
        ...
