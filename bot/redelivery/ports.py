"""What a recovery pass needs of the world: the hook's deliveries, and the door's dedupe records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.redelivery.model import HookDelivery


class HookDeliveries(Protocol):
    """One webhook's delivery log on the forge (GitHub: the App's hook, or a repository or
    organisation hook), and the forge's redeliver button."""

    @property
    def hook(self) -> str:
        """Which hook, in words, for the logs ("the GitHub App's webhook")."""

    async def recent(self, since: float) -> Sequence[HookDelivery]:
        """The deliveries made at or after ``since`` (epoch seconds), newest first; a bounded
        number of them, so a busy hook can't make one pass read for ever."""

    async def redeliver(self, delivery_id: int) -> None:
        """Ask the forge to send that delivery again (same GUID, same body); it does so soon after.

        Raises :class:`bot.errors.UpstreamRejected` when the forge won't (the delivery is too old or
        gone) and :class:`bot.errors.UpstreamUnavailable` when it didn't answer."""


class SeenEvents(Protocol):
    """The door's dedupe records: events it accepted and queued."""

    async def seen(self, event_keys: Sequence[str]) -> set[str]:
        """Those of ``event_keys`` the door has accepted (within its dedupe record's lifetime)."""
