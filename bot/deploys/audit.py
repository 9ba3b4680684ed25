"""The audit trail: every request, approval, refusal, lock and unlock.

Written to a capped Redis stream by the services that act, read back by
``/ops status``. Entries are facts in past tense; they are never edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Person


@dataclass(frozen=True)
class AuditEntry:
    action: str  # "lock", "unlock", "lock.refused", "deploy.requested", …
    actor: Person
    detail: str
    at: float
    environment: str | None = None
    service: str | None = None
