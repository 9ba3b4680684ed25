"""The incident sentences (declare, update, commander, snooze, resolve), their parsers and table entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.commands.entry import ANYONE, NOBODY_HERE, Availability, Entry, Form
from bot.commands.grammar import UsageProblem, split_option
from bot.incidents.lifecycle import Incidents
from bot.model import ChatMessage

SLACK_USER = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9_]+)$")


@dataclass(frozen=True)
class IncidentDeclare:
    title: str
    severity: int = 3


@dataclass(frozen=True)
class IncidentUpdate:
    text: str


@dataclass(frozen=True)
class IncidentCommander:
    user: str  # Slack user id


@dataclass(frozen=True)
class IncidentSnooze:
    minutes: int | None = None


@dataclass(frozen=True)
class IncidentResolve:
    summary: str | None = None


def parse_declare(args: list[str]) -> IncidentDeclare:
    args, sev = split_option(args, "--sev")
    title = " ".join(args).strip()
    if not title:
        raise UsageProblem("an incident needs a title")
    severity = 3
    if sev is not None:
        if sev not in ("1", "2", "3", "4"):
            raise UsageProblem("--sev must be 1, 2, 3 or 4")
        severity = int(sev)
    return IncidentDeclare(title=title, severity=severity)


def parse_update(args: list[str]) -> IncidentUpdate:
    text = " ".join(args).strip()
    if not text:
        raise UsageProblem("an update needs some text")
    return IncidentUpdate(text=text)


def parse_commander(args: list[str]) -> IncidentCommander:
    found = SLACK_USER.match(args[0]) if len(args) == 1 else None
    if found is None:
        raise UsageProblem("expects one Slack user, as @name")
    return IncidentCommander(user=found.group(1) or found.group(2))


def parse_snooze(args: list[str]) -> IncidentSnooze:
    if not args:
        return IncidentSnooze(minutes=None)
    if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= 1440:
        raise UsageProblem("takes a number of minutes from 1 to 1440")
    return IncidentSnooze(minutes=int(args[0]))


def parse_resolve(args: list[str]) -> IncidentResolve:
    return IncidentResolve(summary=" ".join(args).strip() or None)


def in_slack(incidents: Incidents, message: ChatMessage) -> Availability:
    """Incidents live in Slack: their commands are listed where one can be declared."""
    return ANYONE if incidents.declares_here(message) else NOBODY_HERE


WHO = "anyone in Slack; run it in the incident's channel (elsewhere: the only open incident)"

INCIDENT_COMMANDS: tuple[Entry[Incidents, Any], ...] = (
    Entry(
        IncidentDeclare, ("incident", "declare"), "incident declare <title> [--sev 1-4]",
        "open an incident channel and tracking issue", parse_declare,
        lambda incidents, c, m: incidents.declare(c.title, c.severity, m), prose=True,
        example="incident declare checkout errors --sev 2", who="anyone in Slack",
        forms=(Form("incident declare <title>", "severity 3; --sev 1 is the most severe, with the most reminders"),),
        available=in_slack,
    ),
    Entry(
        IncidentUpdate, ("incident", "update"), "incident update <text>", "post a status update to the incident",
        parse_update, lambda incidents, c, m: incidents.update(c.text, m), prose=True,
        example="incident update rolled back, error rate falling", who=WHO, available=in_slack,
    ),
    Entry(
        IncidentCommander, ("incident", "commander"), "incident commander @user",
        "hand the incident to a new commander", parse_commander,
        lambda incidents, c, m: incidents.set_commander(c.user, m),
        example="incident commander <@U024BE7LH>", who=WHO, available=in_slack,
    ),
    Entry(
        IncidentSnooze, ("incident", "snooze"), "incident snooze [<minutes>]",
        "pause the update reminders (default 30)", parse_snooze, lambda incidents, c, m: incidents.snooze(c.minutes, m),
        example="incident snooze 45", who=WHO, available=in_slack,
    ),
    Entry(
        IncidentResolve, ("incident", "resolve"), "incident resolve [<summary>]",
        "resolve the incident and draft a review", parse_resolve,
        lambda incidents, c, m: incidents.resolve(c.summary, m), prose=True,
        example="incident resolve a bad config push, rolled back", who=WHO, available=in_slack,
    ),
)  # fmt: skip
