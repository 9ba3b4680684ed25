"""The command table: every sentence of the contract, what must be refused, and the table's own rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clients.slack_markup import escape, to_mrkdwn
from bot.commands.entry import ANYONE, Entry, Section
from bot.commands.grammar import UsageProblem
from bot.commands.help import overview
from bot.commands.names import NAME, REF
from bot.commands.table import CommandTable, Grammar
from bot.commands.types import FreeText, Help, Malformed
from bot.deploys.commands import DEPLOY_COMMANDS
from bot.deploys.grammar import Deploy, Lock, Locks, Rollback, Status, Unlock
from bot.incidents.commands import (
    IncidentCommander,
    IncidentDeclare,
    IncidentResolve,
    IncidentSnooze,
    IncidentUpdate,
)
from bot.memory.commands import Forget, Memories, Remember
from bot.model import ChatMessage, GitHubThread, Person, Place, SlackThread
from bot.text import code
from bot.todos.commands import Todos
from tests.bot.commands.every_command import GRAMMAR, sentences

parse = GRAMMAR.parse


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


def test_help_lists_every_command_once_for_someone_who_may_run_them_all() -> None:
    lines = [to_mrkdwn(line) for line in overview(GRAMMAR.entries, lambda entry: ANYONE, "/ops ").splitlines()]
    assert len(lines) == 1 + len(GRAMMAR.entries) + 1  # a heading, the commands, the agent
    for entry in GRAMMAR.entries:
        assert sum(f"`/ops {escape(entry.usage)}`" in line for line in lines) == 1
    assert not any(line.startswith("Not for you here") for line in lines)


@given(st.text(max_size=200))
def test_parse_never_raises_and_deploys_carry_only_safe_names(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, Deploy):
        assert parsed.service is None or NAME.match(parsed.service)
        assert parsed.ref is None or REF.match(parsed.ref)
        assert NAME.match(parsed.environment)


@given(st.text(max_size=40) | st.sampled_from(["help", " HELP ", "'help'", "'help", '"help', "help me", "", "helpers"]))
def test_the_fast_help_check_agrees_with_parse(text: str) -> None:
    assert GRAMMAR.is_help(text) == isinstance(parse(text), Help)


@given(
    st.lists(
        st.sampled_from(["help", "HELP", "deploy", "incident", "declare", "me", "'", "\t", "\u00a0"]), max_size=4
    ).map(" ".join)
)
def test_the_fast_help_check_agrees_with_parse_on_help_like_text(text: str) -> None:
    assert GRAMMAR.is_help(text) == isinstance(parse(text), Help)


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


# -- the table's own rules -----------------------------------------------------------------


@pytest.mark.parametrize("entry", GRAMMAR.entries, ids=lambda entry: " ".join(entry.words))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_usage_line_parses_back_to_its_command(entry: Entry[Any, Any], data: st.DataObject) -> None:
    sentence = data.draw(sentences(entry.usage))
    parsed = parse(sentence)
    assert type(parsed) is entry.command, (sentence, parsed)


def test_the_table_has_no_word_command_or_tool_twice() -> None:
    assert len({entry.words for entry in GRAMMAR.entries}) == len(GRAMMAR.entries)
    assert len({entry.command for entry in GRAMMAR.entries}) == len(GRAMMAR.entries)
    tools = [entry.tool.name for entry in GRAMMAR.agent_callable() if entry.tool is not None]
    assert len(set(tools)) == len(tools)


def test_a_table_refuses_two_entries_with_the_same_words() -> None:
    with pytest.raises(ValueError, match="command words"):
        Grammar((*DEPLOY_COMMANDS, *DEPLOY_COMMANDS))
    renamed = replace(DEPLOY_COMMANDS[0], command=Rollback)  # deploy's words are free, its value isn't
    with pytest.raises(ValueError, match="command values"):
        Grammar((renamed, *DEPLOY_COMMANDS[1:]))
    assert DEPLOY_COMMANDS[0].tool is not None
    twin = replace(DEPLOY_COMMANDS[2], tool=DEPLOY_COMMANDS[0].tool)  # approve offered as "deploy"
    with pytest.raises(ValueError, match="tool names"):
        Grammar((*DEPLOY_COMMANDS[:2], twin))


def test_a_grammar_group_names_its_sentences_when_none_fits() -> None:
    parsed = parse("incident")
    assert parsed == Malformed(
        problem="`incident` needs declare, update, commander, snooze or resolve", usage="incident declare <title>"
    )


# -- running what was parsed ------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str


class Parrot:
    """A feature of one sentence, to see the table bind and run it."""

    def __init__(self) -> None:
        self.heard: list[tuple[Say, ChatMessage]] = []

    async def say(self, command: Say, message: ChatMessage) -> str:
        self.heard.append((command, message))
        return f"{message.author.handle} said {command.text}"


def _say(args: list[str]) -> Say:
    if not args:
        raise UsageProblem("needs something to say")
    return Say(" ".join(args))


SAY = Entry(Say, ("say",), "say <text>", "repeat after you", _say, Parrot.say)


def _message(text: str, place: Place) -> ChatMessage:
    return ChatMessage("m-1", Person("slack", "U1"), place, text, "slash")


async def test_the_table_runs_a_command_on_its_features_service() -> None:
    parrot = Parrot()
    table = CommandTable("opsbot", Section(parrot, (SAY,)))
    message = _message("say hello there", SlackThread("C1"))
    parsed = table.parse(message.text)
    assert parsed == Say("hello there")
    assert await table.run(parsed, message) == f"{message.author.handle} said hello there"
    assert parrot.heard == [(Say("hello there"), message)]


async def test_help_is_the_tables_own_and_lists_every_entry_with_the_local_prefix() -> None:
    table = CommandTable("opsbot", Section(Parrot(), (SAY,)))
    on_slack = _message("help", SlackThread("C1"))
    on_github = _message("help", GitHubThread("acme/api", 7, True))
    helped = await table.run(table.parse("help"), on_slack)
    assert isinstance(helped, str)
    assert (
        f"• {code('/ops help [<command>]')} — list what you can run here, or all of one command"
        f" · e.g. {code('/ops help deploy')}\n• {code('/ops say <text>')} — repeat after you\n"
    ) in helped
    assert code("@opsbot say <text>") in table.help(on_github)
    assert table.parse("say") == Malformed(problem="`say` needs something to say", usage="say <text>")
