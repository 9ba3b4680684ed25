"""The chat grammar: every sentence of the contract, and what must be refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clients.slack_markup import escape, to_mrkdwn
from bot.commands.registry import NAME, REF, REGISTRY, help_lines, parse
from bot.commands.types import (
    Deploy,
    Forget,
    FreeText,
    Help,
    IncidentCommander,
    IncidentDeclare,
    IncidentResolve,
    IncidentSnooze,
    IncidentUpdate,
    Lock,
    Locks,
    Malformed,
    Memories,
    Remember,
    Rollback,
    Status,
    Todos,
    Unlock,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("", Help()),
        ("deploy api to staging", Deploy("api", None, "staging")),
        ("Deploy api@v1.2.3 to production", Deploy("api", "v1.2.3", "production")),
        ("deploy api@feature/login-fix to staging", Deploy("api", "feature/login-fix", "staging")),
        ("deploy to staging", Deploy(None, None, "staging")),
        ("rollback api production", Rollback("api", "production")),
        ("status", Status()),
        ("status api", Status("api")),
        ("lock production", Lock("production")),
        ("lock production api --reason db migration", Lock("production", "api", "db migration")),
        ('lock staging --reason "load test"', Lock("staging", None, "load test")),
        ("unlock production api", Unlock("production", "api")),
        ("locks", Locks()),
        ("incident declare API is down --sev 1", IncidentDeclare("API is down", 1)),
        ("incident declare checkout errors", IncidentDeclare("checkout errors", 3)),
        ("incident update rolled back, watching", IncidentUpdate("rolled back, watching")),
        ("incident resolve", IncidentResolve(None)),
        ("incident resolve bad config push", IncidentResolve("bad config push")),
        ("incident update we're rolling back", IncidentUpdate("we're rolling back")),  # an apostrophe is no quote
        ("incident commander <@U024BE7LH|bob>", IncidentCommander("U024BE7LH")),
        ("incident commander U024BE7LH", IncidentCommander("U024BE7LH")),
        ("incident snooze", IncidentSnooze(None)),
        ("incident snooze 45", IncidentSnooze(45)),
        ("remember mistake never deploy on fridays", Remember("mistake", "never deploy on fridays")),
        ("memories", Memories()),
        ("memories guideline", Memories("guideline")),
        ("forget m-123", Forget("m-123")),
        ("todos", Todos()),
    ],
)
def test_every_sentence_of_the_grammar_parses(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "deploy api;rm -rf / to staging",
        "deploy ../api to staging",
        "deploy api to $(curl evil)",
        "deploy api@$(whoami) to staging",
        "deploy api@../../etc to staging",
        "deploy api@ to staging",
        "deploy api staging",
        "rollback api",
        "lock",
        "lock staging --reason",
        "incident declare --sev 1",
        "incident declare outage --sev 9",
        "incident",
        "remember feelings it was fine",
        "forget",
        "deploy 'api to staging",
    ],
)
def test_malformed_commands_are_refused_with_their_usage(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Malformed), parsed
    assert parsed.usage


@pytest.mark.parametrize(
    "text",
    [
        "why is the api slow?",
        "help me understand the last deploy",
        "status of the api looks odd to me",
        "locks are weird",
    ],
)
def test_questions_go_to_the_agent(text: str) -> None:
    assert parse(text) == FreeText(text)


def test_help_lists_every_command_once() -> None:
    lines = [to_mrkdwn(line) for line in help_lines("/ops ")]
    assert len(lines) == len(REGISTRY) + 1
    for entry in REGISTRY:
        assert sum(f"`/ops {escape(entry.usage)}`" in line for line in lines) == 1


@given(st.text(max_size=200))
def test_parse_never_raises_and_deploys_carry_only_safe_names(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, Deploy):
        assert parsed.service is None or NAME.match(parsed.service)
        assert parsed.ref is None or REF.match(parsed.ref)
        assert NAME.match(parsed.environment)


@given(st.text(max_size=40) | st.sampled_from(["help", " HELP ", "'help'", "'help", '"help', "help me", "", "helpers"]))
def test_the_fast_help_check_agrees_with_parse(text: str) -> None:
    from bot.commands.registry import is_help

    if is_help(text):
        assert parse(text) == Help()
    else:
        assert parse(text) != Help()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("incident commander bob", "expects one Slack user"),
        ("incident commander <@U1> <@U2>", "expects one Slack user"),
        ("incident snooze forever", "takes a number of minutes"),
        ("incident snooze 5000", "takes a number of minutes"),
        ("incident page", "needs declare, update, commander, snooze or resolve"),
    ],
)
def test_incident_commands_say_what_is_wrong(text: str, problem: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Malformed)
    assert problem in parsed.problem
