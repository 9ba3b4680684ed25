"""Approvals for protected environments: by someone else, for one commit, for a while.

A deploy to a protected environment opens a pending approval bound to the
exact commit that was checked. One of the environment's approvers, never
the requester, approves it before it expires; closing it is atomic, so a
double click or two approvers at once create one deployment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.model import Person, Place

APPROVAL_WINDOW = 30 * 60.0  # seconds an approval request stays open


@dataclass(frozen=True)
class PendingApproval:
    id: str
    service: str
    environment: str
    ref: str
    sha: str
    requester: Person
    origin: Place
    status_key: str
    expires_at: float
    rollback_of: str | None = None

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(3)
