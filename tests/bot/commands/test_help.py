"""``help`` per person and place, and ``help <command>``, on the table bound as the composition root binds it.

Every feature's service runs on its fakes; who is listed comes from the
commands' own checks, so the tests also hold help to what the commands do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.entry import Entry, Section
from bot.commands.table import CommandTable
from bot.commands.types import FreeText, Help
from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import DEPLOY_COMMANDS
from bot.deploys.grammar import Deploy
from bot.deploys.lock_commands import LOCK_COMMANDS, LockCommands
from bot.errors import CommandError
from bot.fakes import FakeMarks
from bot.incidents.commands import INCIDENT_COMMANDS
from bot.incidents.fakes import FakeIncidentStore, FakeRooms
from bot.incidents.lifecycle import Incidents, IncidentServices
from bot.jobs.fakes import FakeJobQueue
from bot.memory.commands import MEMORY_COMMANDS, MemoryCommands
from bot.memory.fakes import FakeMemoryStore
from bot.memory.memories import Memories
from bot.model import ChatMessage, ConsoleThread, GitHubThread, Person, Place, SlackThread, Via
from bot.text import plain
from bot.todos.commands import TODO_COMMANDS, TodoCommands
from bot.todos.fakes import FakeTodoStore
from tests.bot.commands.every_command import GRAMMAR, sentences
from tests.bot.deploys.test_commands import OPS_CONFIG, Desk, open_desk

ALICE, BOB, CAROL, EVE = (Person("slack", u) for u in ("U_ALICE", "U_BOB", "U_CAROL", "U_EVE"))
OCTOCAT, STRANGER, SHELL = Person("github", "octocat"), Person("github", "stranger"), Person("console", "U_SHELL")
OPS, PULL, CONSOLE = SlackThread("C_OPS"), GitHubThread("acme/api", 7, True), ConsoleThread("C_SHELL")


@dataclass
class Bound:
    table: CommandTable
    desk: Desk


def bind(*, rooms: bool = True) -> Bound:
    config = OpsConfig.load(OPS_CONFIG)
    desk = open_desk(config)
    clock, marks = desk.clock, FakeMarks(desk.clock)
    reporter = Reporter({"slack": desk.chat}, Replies(marks), marks, clock)
    incidents = Incidents(
        IncidentServices(
            FakeIncidentStore(clock), FakeRooms() if rooms else None, reporter, {}, FakeJobQueue(clock), config, clock
        )
    )
    memories = MemoryCommands(Memories(FakeMemoryStore(), clock), {"github": desk.forge}, config, marks)
    table = CommandTable(
        "opsbot",
        Section(desk.commands, DEPLOY_COMMANDS),
        Section(LockCommands(desk.locking, desk.audit, desk.commands), LOCK_COMMANDS),
        Section(incidents, INCIDENT_COMMANDS),
        Section(memories, MEMORY_COMMANDS),
        Section(TodoCommands(FakeTodoStore(clock)), TODO_COMMANDS),
    )
    return Bound(table, desk)


@pytest.fixture
def bound() -> Bound:
    return bind()


def asking(person: Person, place: Place, text: str = "help") -> ChatMessage:
    via: Via = "slash" if isinstance(place, SlackThread) else "mention"
    return ChatMessage(f"m-{person.id}-{text}", person, place, text, via)


async def helped(table: CommandTable, person: Person, place: Place, text: str = "help") -> str:
    message = asking(person, place, text)
    answer = await table.run(table.parse(text), message)
    assert isinstance(answer, str)
    assert table.help(message) == answer  # Slack answers help in the acknowledgement: the same answer
    return plain(answer)


def line_of(help_text: str, usage: str) -> str | None:
    return next((line for line in help_text.splitlines() if line.startswith(f"• {usage}")), None)


# -- what this person may run here ------------------------------------------------------------


async def test_a_production_deployer_in_slack_sees_production_but_not_approve(bound: Bound) -> None:
    text = await helped(bound.table, ALICE, OPS)
    deploy = line_of(text, "/ops deploy <service>[@<ref>] to <env> [--dry-run]")
    assert deploy is not None
    assert "you may deploy to `staging`, `production` (`production` after another person's approval)" in deploy
    assert "e.g. /ops deploy api to staging" in deploy
    assert line_of(text, "/ops approve") is None
    assert line_of(text, "/ops incident declare <title> [--sev 1-4]") is not None  # Slack, with channels to open
    assert text.splitlines()[-1] == "Not for you here: approve."


async def test_someone_who_deploys_only_to_staging_is_not_shown_production(bound: Bound) -> None:
    text = await helped(bound.table, EVE, OPS)
    for usage in ("/ops deploy", "/ops rollback", "/ops lock "):
        shown = line_of(text, usage)
        assert shown is not None
        assert "`staging`" in shown
        assert "production" not in shown
    assert line_of(text, "/ops approve") is None
    assert line_of(text, "/ops keep") is None  # not a memory writer
    remember = line_of(text, "/ops remember")
    assert remember is not None
    assert "wait for a memory writer's Keep" in remember
    assert "Not for you here: approve, keep." in text


async def test_an_approver_is_shown_approve_for_what_they_approve(bound: Bound) -> None:
    text = await helped(bound.table, CAROL, OPS)
    approve = line_of(text, "/ops approve [<id>]")
    assert approve is not None
    assert "you approve deploys to `production`" in approve
    unlock = line_of(text, "/ops unlock")
    assert unlock is not None
    assert "others' locks too on `production`" in unlock


async def test_on_a_pull_request_the_forge_words_and_no_incidents(bound: Bound) -> None:
    text = await helped(bound.table, OCTOCAT, PULL)
    deploy = line_of(text, "@opsbot deploy")
    assert deploy is not None
    assert "`production`" in deploy
    assert "e.g. @opsbot deploy api to staging" in deploy
    assert "/ops" not in text
    assert "incident" not in text.split("Not for you here:")[0]
    assert "Not for you here: approve, incident." in text
    stranger = await helped(bound.table, STRANGER, PULL)
    shown = line_of(stranger, "@opsbot deploy")
    assert shown is not None
    assert "production" not in shown


async def test_the_console_lists_what_the_console_can_do(bound: Bound) -> None:
    text = await helped(bound.table, SHELL, CONSOLE)
    assert line_of(text, "/ops deploy") is not None
    assert line_of(text, "/ops keep <offer>") is not None  # the operator's own terminal
    assert line_of(text, "/ops incident") is None  # incidents get a Slack channel of their own
    assert line_of(text, "/ops <anything else>") is not None


async def test_without_slack_channels_to_open_no_incident_commands_are_listed() -> None:
    text = await helped(bind(rooms=False).table, ALICE, OPS)
    assert line_of(text, "/ops incident") is None
    assert "Not for you here: approve, incident." in text


@pytest.mark.parametrize(
    ("person", "place"), [(ALICE, OPS), (EVE, OPS), (CAROL, OPS), (OCTOCAT, PULL), (STRANGER, PULL), (SHELL, CONSOLE)]
)
async def test_help_lists_an_environment_exactly_where_the_deploy_would_let_the_person_in(
    bound: Bound, person: Person, place: Place
) -> None:
    bound.desk.forge.heads[("acme/api", 7)] = ("login", "b" * 40)
    deploy = line_of(await helped(bound.table, person, place), f"{'/ops ' if place is not PULL else '@opsbot '}deploy")
    assert deploy is not None
    for environment in ("staging", "production"):
        try:
            await bound.desk.commands.deploy(Deploy("api", None, environment, dry_run=True), asking(person, place))
        except CommandError as refusal:
            let_in = "not one of its deployers" not in str(refusal)  # a forge's write access is asked when deploying
        else:
            let_in = True
        assert (f"`{environment}`" in deploy) == let_in, (environment, deploy)


# -- help <command> ---------------------------------------------------------------------------


async def test_help_deploy_shows_every_form_the_flag_an_example_and_who(bound: Bound) -> None:
    text = await helped(bound.table, EVE, OPS, "help deploy")
    assert text.startswith("**/ops deploy <service>[@<ref>] to <env> [--dry-run]** — deploy a service")
    assert "• /ops deploy <service>@<ref> to <env> — a branch, tag or commit" in text
    assert "• /ops deploy to <env> — on a pull or merge request: its head commit" in text
    assert "• /ops deploy <service> to <env> --dry-run — every check a deploy makes" in text
    assert "Example: /ops deploy api to staging" in text
    assert "Who may run it: the environment's deployers in ops.yaml" in text
    assert text.endswith("You may run it here: you may deploy to `staging`.")


async def test_help_of_a_command_not_for_you_says_so_and_who_may(bound: Bound) -> None:
    text = await helped(bound.table, EVE, OPS, "help approve")
    assert "Who may run it: the environment's approvers in ops.yaml, never the person who asked" in text
    assert text.endswith("You may not run it here.")


async def test_help_of_a_group_shows_each_of_its_commands(bound: Bound) -> None:
    text = await helped(bound.table, ALICE, OPS, "help incident")
    assert [line.split("** — ")[0] for line in text.splitlines() if line.startswith("**")] == [
        f"**/ops {entry.usage}" for entry in INCIDENT_COMMANDS
    ]
    one = await helped(bound.table, ALICE, OPS, "HELP incident Declare")
    assert one.startswith("**/ops incident declare <title> [--sev 1-4]**")
    assert "**/ops incident update" not in one


@pytest.mark.parametrize(
    ("text", "named"), [("help foo", "There is no command `foo`."), ("help $(id)", "There is no such command.")]
)
async def test_help_of_something_that_is_no_command_lists_the_commands(bound: Bound, text: str, named: str) -> None:
    answer = await helped(bound.table, ALICE, OPS, text)
    assert answer.startswith(named)
    assert "The commands are help, deploy, rollback, approve, status, lock, unlock, locks, incident," in answer
    assert answer.endswith("/ops help lists what you can run here.")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("help", Help()),
        ("help deploy", Help("deploy")),
        ("Help Incident", Help("incident")),
        ("help incident declare", Help("incident declare")),
        ("help foo", Help("foo")),
        ("help me understand the last deploy", FreeText("help me understand the last deploy")),
        ("help with the deploy please", FreeText("help with the deploy please")),
    ],
)
def test_help_takes_one_command_and_leaves_questions_to_the_agent(text: str, parsed: object) -> None:
    assert GRAMMAR.parse(text) == parsed
    assert GRAMMAR.is_help(text) == isinstance(parsed, Help)


# -- every entry carries its help ---------------------------------------------------------------


@pytest.mark.parametrize("entry", GRAMMAR.entries, ids=lambda entry: " ".join(entry.words))
def test_every_entry_has_an_example_of_itself_and_says_who_may_run_it(entry: Entry[Any, Any]) -> None:
    assert entry.usage
    assert entry.example, "an entry needs an example for help"
    assert entry.who, "an entry needs to say who may run it"
    assert type(GRAMMAR.parse(entry.example)) is entry.command, entry.example


@pytest.mark.parametrize("entry", [e for e in GRAMMAR.entries if e.forms], ids=lambda entry: " ".join(entry.words))
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_form_help_shows_parses_back_to_its_command(entry: Entry[Any, Any], data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(entry.forms))
    sentence = data.draw(sentences(form.words))
    assert type(GRAMMAR.parse(sentence)) is entry.command, sentence
