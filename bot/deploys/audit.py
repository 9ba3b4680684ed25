"""The audit trail: every request, approval, refusal, lock and unlock.

Written to a capped Redis stream by the services that act, read back by
``/ops status``. Entries are facts in past tense; they are never edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Person

# A dry run's one entry: its plan ("would deploy …") or the refusal a real request would have met.
DRY_RUN = "deploy.dry_run"


@dataclass(frozen=True)
class AuditEntry:
    action: str  # "lock", "unlock", "lock.refused", "deploy.requested", "deploy.dry_run", …
    actor: Person
    detail: str
    at: float
    environment: str | None = None
    service: str | None = None
