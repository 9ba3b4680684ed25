"""Dry runs on fakes: every check of a real deploy, in its order and its words, the plan, and nothing created.

Each refusal is checked against the real request's on a desk set up the same way,
so a dry run can't drift from what a deploy would do.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import OpsConfig
from bot.deploys.audit import DRY_RUN
from bot.deploys.deploying import Deploys
from bot.deploys.grammar import Deploy, Rollback, parse_deploy, parse_rollback
from bot.deploys.model import LockScope, Plan
from bot.errors import CommandError
from bot.model import Answer, ChatMessage, GitHubThread, Person
from bot.text import mention_handle
from tests.bot.commands.every_command import GRAMMAR
from tests.bot.deploys.test_commands import (
    ALICE,
    API,
    BOB,
    CAROL,
    EVE,
    OCTOCAT,
    OPS,
    OPS_CONFIG,
    STRANGER,
    Desk,
    open_desk,
    said,
)

PULL = GitHubThread(API, 7, True)
APPROVAL_ID = re.compile(r"\b[0-9a-f]{6}\b")
Setup = Callable[[Desk], Awaitable[None]]


@pytest.fixture
def desk() -> Desk:
    return open_desk(OpsConfig.load(OPS_CONFIG))


async def what_exists(desk: Desk) -> tuple[Any, ...]:
    """Everything a deploy request could create: deployments, claims, approvals, messages, news."""
    flights = [await desk.deployments.in_flight("api", env) for env in ("staging", "production")]
    approvals = [await desk.approvals.latest_for(place) for place in (OPS, PULL)]
    history = [await desk.deployments.history("api", env, 100) for env in ("staging", "production")]
    return list(desk.forge.created), flights, approvals, history, desk.chat.texts(), list(desk.news)


async def audited_since(desk: Desk, count: int) -> list[tuple[str, str]]:
    entries = list(reversed(await desk.audit.recent(1_000)))
    return [(entry.action, entry.detail) for entry in entries[count:]]


# -- the plan --------------------------------------------------------------------------------


async def test_a_dry_run_to_staging_shows_the_plan_and_creates_nothing(desk: Desk) -> None:
    before = await what_exists(desk)
    answer = await desk.commands.deploy(Deploy("api", None, "staging", dry_run=True), said(ALICE))
    assert answer == (
        "🧪 Dry run: would deploy `api` `main` (`aaaaaaa`) to `staging`; no approval needed. "
        "Every check passed; nothing was created."
    )
    assert await what_exists(desk) == before
    assert await audited_since(desk, 0) == [(DRY_RUN, "would deploy main (aaaaaaa); no approval needed")]


async def test_a_dry_run_to_production_names_who_must_approve_and_opens_no_approval(desk: Desk) -> None:
    before = await what_exists(desk)
    answer = await desk.commands.deploy(Deploy("api", None, "production", dry_run=True), said(ALICE))
    assert isinstance(answer, str)  # no Approve button: there is nothing to approve
    approvers = ", ".join(mention_handle(h) for h in ("U_CAROL", "github:hubot"))
    assert f"would deploy `api` `main` (`aaaaaaa`) to `production`; needs an approval by one of {approvers}." in answer
    assert await what_exists(desk) == before
    planned = "would deploy main (aaaaaaa); needs an approval by one of U_CAROL, github:hubot"
    assert await audited_since(desk, 0) == [(DRY_RUN, planned)]


async def test_a_dry_run_holds_nothing_so_the_real_deploy_goes_ahead(desk: Desk) -> None:
    await desk.commands.deploy(Deploy("api", None, "production", dry_run=True), said(ALICE))
    await desk.commands.deploy(Deploy("api", None, "staging", dry_run=True), said(ALICE, "dry"))
    asked = await desk.commands.deploy(Deploy("api", None, "production"), said(BOB))
    assert isinstance(asked, Answer)
    assert "needs an approval" in asked.text
    await desk.commands.deploy(Deploy("api", None, "staging"), said(BOB, "staging"))
    assert len(desk.forge.created) == 1


async def test_a_dry_run_on_a_pull_request_plans_its_head(desk: Desk) -> None:
    desk.forge.heads[(API, 7)] = ("login", "b" * 40)
    answer = await desk.commands.deploy(Deploy(None, None, "staging", dry_run=True), said(OCTOCAT, place=PULL))
    assert "would deploy `api` `login` (`bbbbbbb`) to `staging`" in str(answer)
    assert desk.forge.created == []


async def test_a_rollback_dry_run_names_the_ref_it_would_go_back_to(desk: Desk) -> None:
    for n, sha in enumerate(("1" * 40, "2" * 40), start=1):
        desk.forge.branches[API]["main"] = sha
        await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE, f"deploy {n}"))
        await desk.commands.status_changed(f"github:acme/api:{n}", "success", None)
        desk.clock.now += 60
    before = await what_exists(desk)
    answer = await desk.commands.rollback(Rollback("api", "staging", dry_run=True), said(BOB))
    assert "would roll back `api` on `staging` to `main` (`1111111`); no approval needed" in str(answer)
    assert await what_exists(desk) == before


async def test_a_dry_run_can_create_nothing_even_if_asked_to(desk: Desk) -> None:
    config = OpsConfig.load(OPS_CONFIG)
    real = Deploys(config, {"github": desk.forge}, desk.deployments, desk.locking, desk.audit, desk.clock)
    deploys = real.as_dry_run()
    target = deploys.target("api", "staging", OPS)
    plan = Plan(ALICE, target, "main", "a" * 40, OPS, "m-1:answer")
    with pytest.raises(RuntimeError, match="creates nothing"):
        await deploys.create(plan)
    with pytest.raises(RuntimeError, match="creates nothing"):
        await deploys.claim(plan, "token", desk.clock() + 60)
    assert await what_exists(desk) == ([], [None, None], [None, None], [[], []], [], [])


# -- every refusal, as the real request meets it ----------------------------------------------


async def nothing(desk: Desk) -> None:
    return None


async def bob_locks_staging(desk: Desk) -> None:
    await desk.locking.lock(BOB, LockScope("staging", "api"), "migration")


async def alice_deploys_staging(desk: Desk) -> None:
    await desk.commands.deploy(Deploy("api", None, "staging"), said(ALICE, "first"))


async def alice_asks_for_production(desk: Desk) -> None:
    await desk.commands.deploy(Deploy("api", None, "production"), said(ALICE, "first"))


async def the_forge_cannot_say_who_may_push(desk: Desk) -> None:
    desk.forge.permission_error = TimeoutError("forge too slow")


async def deploying_and_then_locked(desk: Desk) -> None:
    await alice_deploys_staging(desk)
    await desk.locking.lock(CAROL, LockScope("staging"), "freeze")


def case(setup: Setup, command: Deploy | Rollback, by: Person, place: Any = OPS) -> tuple[Any, ...]:
    return setup, command, by, place


REFUSALS = {
    "an unknown service": case(nothing, Deploy("nope", None, "staging"), ALICE),
    "an unknown environment": case(nothing, Deploy("api", None, "qa"), ALICE),
    "no service named in Slack": case(nothing, Deploy(None, None, "staging"), ALICE),
    "not a deployer": case(nothing, Deploy("api", None, "production"), EVE),
    "no write access": case(nothing, Deploy("api", "main", "staging"), STRANGER, PULL),
    "a failed permission check": case(
        the_forge_cannot_say_who_may_push, Deploy("api", "main", "staging"), OCTOCAT, PULL
    ),
    "someone else's lock": case(bob_locks_staging, Deploy("api", None, "staging"), ALICE),
    "an unknown ref": case(nothing, Deploy("api", "nope", "staging"), ALICE),
    "a deploy in flight": case(alice_deploys_staging, Deploy("api", None, "staging"), BOB),
    "an approval waiting": case(alice_asks_for_production, Deploy("api", None, "production"), BOB),
    "a lock before a deploy in flight": case(deploying_and_then_locked, Deploy("api", None, "staging"), BOB),
    "nothing to roll back to": case(nothing, Rollback("api", "staging"), ALICE),
    "a rollback by a non-deployer": case(nothing, Rollback("api", "production"), EVE),
}


async def refusal(desk: Desk, setup: Setup, command: Deploy | Rollback, message: ChatMessage) -> tuple[str, int]:
    await setup(desk)
    count = len(await desk.audit.recent(1_000))
    asking = (
        desk.commands.deploy(command, message)
        if isinstance(command, Deploy)
        else desk.commands.rollback(command, message)
    )
    with pytest.raises(CommandError) as refused:
        await asking
    return APPROVAL_ID.sub("<approval>", str(refused.value)), count  # two desks open approvals under two ids


@pytest.mark.parametrize(("setup", "command", "by", "place"), REFUSALS.values(), ids=REFUSALS.keys())
async def test_a_dry_run_refuses_as_the_real_request_would_and_creates_nothing(
    setup: Setup, command: Deploy | Rollback, by: Person, place: Any
) -> None:
    message = said(by, place=place)
    real, dry = open_desk(OpsConfig.load(OPS_CONFIG)), open_desk(OpsConfig.load(OPS_CONFIG))
    refused, real_count = await refusal(real, setup, command, message)
    before = await what_exists_after(dry, setup)
    dry_refused, dry_count = await refusal(dry, nothing, _dry(command), message)
    assert dry_refused == refused  # the same first refusal, in the same words
    assert await what_exists(dry) == before
    real_refusals = [d for action, d in await audited_since(real, real_count) if action == "deploy.refused"]
    [(action, detail)] = await audited_since(dry, dry_count)  # one entry: the dry run and what it met
    assert action == DRY_RUN
    assert [detail.removeprefix("refused: ")] == real_refusals


async def what_exists_after(desk: Desk, setup: Setup) -> tuple[Any, ...]:
    await setup(desk)
    return await what_exists(desk)


def _dry(command: Deploy | Rollback) -> Deploy | Rollback:
    if isinstance(command, Deploy):
        return Deploy(command.service, command.ref, command.environment, dry_run=True)
    return Rollback(command.service, command.environment, dry_run=True)


async def test_a_dry_run_refuses_where_nobody_else_could_approve() -> None:
    only_alice = OpsConfig.parse(
        {
            "services": {"api": {"github": API, "environments": ["production"]}},
            "environments": {"production": {"protected": True, "deployers": ["U_ALICE"], "approvers": ["U_ALICE"]}},
        }
    )
    real, dry = open_desk(only_alice), open_desk(only_alice)
    refused, _ = await refusal(real, nothing, Deploy("api", None, "production"), said(ALICE))
    dry_refused, _ = await refusal(dry, nothing, Deploy("api", None, "production", dry_run=True), said(ALICE))
    assert dry_refused == refused == "`production` needs an approval by someone else, and no other approver is listed."
    assert await audited_since(dry, 0) == [(DRY_RUN, f"refused: {refused}")]


# -- the words ---------------------------------------------------------------------------------

DEPLOY_WORDS = st.tuples(
    st.sampled_from(["api", "api@main", "web@v1.2.3", "api@feature/login"]),
    st.sampled_from(["staging", "production"]),
).map(lambda pair: [pair[0], "to", pair[1]]) | st.sampled_from([["to", "staging"], ["to", "production"]])


@given(DEPLOY_WORDS, st.data())
def test_dry_run_may_go_anywhere_among_a_deploys_words(words: list[str], data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(words)))
    flag = data.draw(st.sampled_from(["--dry-run", "--DRY-RUN", "--Dry-Run"]))
    flagged = [*words[:at], flag, *words[at:]]
    assert parse_deploy(flagged) == Deploy(**{**vars(parse_deploy(words)), "dry_run": True})
    assert parse_deploy(words).dry_run is False
    parsed = GRAMMAR.parse(" ".join(["deploy", *flagged]))
    assert isinstance(parsed, Deploy)
    assert parsed.dry_run


@given(st.sampled_from([["api", "staging"], ["web", "production"]]), st.integers(0, 2))
def test_dry_run_may_go_anywhere_among_a_rollbacks_words(words: list[str], at: int) -> None:
    flagged = [*words[:at], "--dry-run", *words[at:]]
    assert parse_rollback(flagged) == Rollback(words[0], words[1], dry_run=True)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("deploy api to staging --force", "doesn't know the option '--force'"),
        ("deploy api to staging --dry-run=yes", "doesn't know the option '--dry-run=yes'"),
        ("rollback api staging --now", "doesn't know the option '--now'"),
        ("deploy api to --dry-run", "expected a service, 'to' and an environment"),
    ],
)
def test_other_options_are_refused_in_words(text: str, problem: str) -> None:
    parsed = GRAMMAR.parse(text)
    assert problem in getattr(parsed, "problem", ""), parsed


FRAGMENTS = st.sampled_from(["deploy", "rollback", "--dry-run", "--", "-", "to", "api", "@", "staging", "'", '"'])


@given(st.lists(FRAGMENTS | st.text(max_size=12), max_size=8).map(" ".join))
def test_text_around_the_flag_never_crashes_the_parser(text: str) -> None:
    parsed = GRAMMAR.parse(text)
    if isinstance(parsed, Deploy | Rollback):
        assert "--dry-run" not in (parsed.environment, parsed.service)
