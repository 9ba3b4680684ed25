"""The deploy sentences as data: deploy, rollback, approve, status and the lock commands, and their parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands.grammar import UsageProblem, name, no_other_options, ref, split_flag, split_option

APPROVAL_ID = re.compile(r"^[0-9a-f]{6}$")
DRY_RUN_FLAG = "--dry-run"  # every check and the plan, nothing created


@dataclass(frozen=True)
class Deploy:
    service: str | None  # None on a PR/MR: the repository's own service
    ref: str | None  # None: the default branch, or the PR/MR head
    environment: str
    dry_run: bool = False


@dataclass(frozen=True)
class Rollback:
    service: str
    environment: str
    dry_run: bool = False


@dataclass(frozen=True)
class Approve:
    approval_id: str | None = None  # None: the pending approval in this thread


@dataclass(frozen=True)
class Status:
    service: str | None = None


@dataclass(frozen=True)
class Lock:
    environment: str
    service: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Unlock:
    environment: str
    service: str | None = None


@dataclass(frozen=True)
class Locks:
    pass


def parse_deploy(args: list[str]) -> Deploy:
    args, dry_run = split_flag(args, DRY_RUN_FLAG)
    no_other_options(args, DRY_RUN_FLAG)
    if len(args) == 2 and args[0].lower() == "to":  # on a PR/MR: "deploy to staging"
        return Deploy(service=None, ref=None, environment=name(args[1], "environment"), dry_run=dry_run)
    if len(args) != 3 or args[1].lower() != "to":
        raise UsageProblem("expected a service, 'to' and an environment")
    service, _, at = args[0].partition("@")
    if "@" in args[0] and not at:
        raise UsageProblem("a ref must follow '@'")
    return Deploy(
        service=name(service, "service"),
        ref=ref(at) if at else None,
        environment=name(args[2], "environment"),
        dry_run=dry_run,
    )


def parse_rollback(args: list[str]) -> Rollback:
    args, dry_run = split_flag(args, DRY_RUN_FLAG)
    no_other_options(args, DRY_RUN_FLAG)
    if len(args) != 2:
        raise UsageProblem("expected a service and an environment")
    return Rollback(service=name(args[0], "service"), environment=name(args[1], "environment"), dry_run=dry_run)


def parse_approve(args: list[str]) -> Approve:
    if len(args) > 1 or (args and not APPROVAL_ID.match(args[0])):
        raise UsageProblem("takes at most one approval id")
    return Approve(approval_id=args[0] if args else None)


def parse_status(args: list[str]) -> Status:
    if len(args) > 1:
        raise UsageProblem("takes at most one service")
    return Status(service=name(args[0], "service") if args else None)


def parse_lock(args: list[str]) -> Lock:
    args, reason = split_option(args, "--reason")
    if not 1 <= len(args) <= 2:
        raise UsageProblem("expected an environment and optionally a service")
    return Lock(
        environment=name(args[0], "environment"),
        service=name(args[1], "service") if len(args) == 2 else None,
        reason=reason,
    )


def parse_unlock(args: list[str]) -> Unlock:
    if not 1 <= len(args) <= 2:
        raise UsageProblem("expected an environment and optionally a service")
    return Unlock(
        environment=name(args[0], "environment"),
        service=name(args[1], "service") if len(args) == 2 else None,
    )
