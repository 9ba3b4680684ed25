"""The deploy form on fakes: what it offers, and a submission as the typed deploy with the same checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.entry import Section
from bot.commands.table import CommandTable
from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import APPROVE_ACTION, DEPLOY_COMMANDS, DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.fakes import (
    FakeApprovalStore,
    FakeAuditLog,
    FakeDeploymentStore,
    FakeForge,
    FakeFormView,
    FakeLockStore,
)
from bot.deploys.form import (
    MAX_BRANCHES,
    Choices,
    DeployForm,
    EnvironmentChoice,
    FormRequest,
    FormSubmission,
    OpenView,
    sentence,
)
from bot.deploys.form_flow import DeployForms
from bot.deploys.grammar import Deploy
from bot.deploys.locks import Locking
from bot.deploys.model import LockScope
from bot.errors import CommandError, UpstreamUnavailable
from bot.fakes import FakeMarks, ManualClock, RecordingChat
from bot.forges import ForgeName
from bot.model import Person, SlackThread

OPS_CONFIG = Path(__file__).parents[2] / "ops.test.yaml"
API, WEB = "acme/api", "acme/web"
ALICE, CAROL, EVE = (Person("slack", u) for u in ("U_ALICE", "U_CAROL", "U_EVE"))
OPS = SlackThread("C_OPS", response_url="https://hooks.slack.com/commands/T1/1/x")


@dataclass
class Desk:
    forms: DeployForms
    view: FakeFormView
    github: FakeForge
    chat: RecordingChat
    locking: Locking
    audit: FakeAuditLog


def desk_with(config: OpsConfig, listers: dict[ForgeName, FakeForge] | None = None) -> Desk:
    clock = ManualClock()
    github, gitlab, audit, chat, marks = FakeForge(), FakeForge(), FakeAuditLog(), RecordingChat(), FakeMarks(clock)
    github.add_repo(API)
    github.branches[API] |= {"v2": "b" * 40, "release/1.4": "c" * 40}
    gitlab.add_repo(WEB, main="d" * 40)
    locking = Locking(FakeLockStore(), audit, config, clock)
    forges: dict[ForgeName, FakeForge] = {"github": github, "gitlab": gitlab}
    deploys = Deploys(config, dict(forges), FakeDeploymentStore(clock), locking, audit, clock)
    reporter = Reporter({"slack": chat}, Replies(marks), marks, clock)
    deploying = DeployCommands(deploys, FakeApprovalStore(clock), reporter, audit, config, clock)
    table = CommandTable("opsbot", Section(deploying, DEPLOY_COMMANDS))
    view = FakeFormView()
    forms = DeployForms(config, view, dict(forges if listers is None else listers), table, reporter)
    return Desk(forms, view, github, chat, locking, audit)


@pytest.fixture
def desk() -> Desk:
    return desk_with(OpsConfig.load(OPS_CONFIG))


def submitted(desk: Desk, chosen: Choices, by: Person = ALICE, ident: str = "1.2.abc") -> FormSubmission:
    view = desk.view.opened(f"V-{ident}")
    return FormSubmission(ident, view, by, OPS, chosen)


def shown(desk: Desk, view_id: str) -> DeployForm:
    form = desk.view.open[view_id]
    assert isinstance(form, DeployForm), form
    return form


# -- what the form offers ---------------------------------------------------------------------
async def test_the_form_offers_every_service_and_before_a_choice_every_environment(desk: Desk) -> None:
    view = desk.view.opened("V1")
    await desk.forms.show(FormRequest(view, ALICE, OPS))
    form = shown(desk, "V1")
    assert form.services == ("api", "web")
    assert form.environments == (EnvironmentChoice("staging", False), EnvironmentChoice("production", True))
    assert form.branches == ()
    assert form.note == "Choose a service to list its branches."
    assert (form.requester, form.origin) == (ALICE, OPS)


async def test_a_chosen_service_brings_its_environments_and_branches_default_first(desk: Desk) -> None:
    form = await desk.forms.form(ALICE, OPS, Choices("api", "production", "v2"))
    assert form.branches == ("main", "v2", "release/1.4")
    assert [e.name for e in form.environments] == ["staging", "production"]
    assert form.chosen == Choices("api", "production", "v2")
    assert form.note is None


async def test_choices_that_no_longer_fit_are_dropped(desk: Desk) -> None:
    form = await desk.forms.form(ALICE, OPS, Choices("gone", "qa", "main"))
    assert form.chosen == Choices(None, None, "main")


async def test_a_ref_that_could_not_be_typed_is_not_shown_back(desk: Desk) -> None:
    form = await desk.forms.form(ALICE, OPS, Choices("api", "staging", "main; curl evil"))
    assert form.chosen == Choices("api", "staging", None)


async def test_one_service_is_chosen_for_the_person() -> None:
    config = OpsConfig.parse({
        "services": {"api": {"github": API, "environments": ["staging"]}}, "environments": {"staging": {}},
    })  # fmt: skip
    desk = desk_with(config)
    form = await desk.forms.form(ALICE, OPS, Choices())
    assert form.chosen.service == "api"
    assert form.branches[0] == "main"


async def test_branches_are_bounded_and_only_those_the_grammar_takes(desk: Desk) -> None:
    desk.github.branches[API] |= {f"feature/{n:03d}": "e" * 40 for n in range(150)}
    desk.github.branches[API] |= {"bad;name": "f" * 40, "x..y": "f" * 40}
    form = await desk.forms.form(ALICE, OPS, Choices("api"))
    assert len(form.branches) == MAX_BRANCHES
    assert form.branches[0] == "main"
    assert "bad;name" not in form.branches
    assert "x..y" not in form.branches


async def test_without_a_branch_list_the_form_is_still_shown_to_type_one() -> None:
    desk = desk_with(OpsConfig.load(OPS_CONFIG), listers={})
    form = await desk.forms.form(ALICE, OPS, Choices("api"))
    assert form.branches == ()
    assert "type a branch, tag or commit" in (form.note or "")


async def test_a_forge_that_fails_to_list_leaves_the_form_usable(desk: Desk) -> None:
    class Failing(FakeForge):
        async def list_branches(self, repo: str, limit: int) -> tuple[str, ...]:
            raise UpstreamUnavailable("GitHub", "server error 502", status=502)

    failing = desk_with(OpsConfig.load(OPS_CONFIG), listers={"github": Failing()})
    form = await failing.forms.form(ALICE, OPS, Choices("api"))
    assert form.branches == ()
    assert form.note == "GitHub didn't list `api`'s branches (server error 502): type one."


async def test_a_form_changed_meanwhile_is_left_alone(desk: Desk) -> None:
    view = desk.view.opened("V1", version="1")
    desk.view.versions["V1"] = "7"  # the person changed it since
    await desk.forms.show(FormRequest(view, ALICE, OPS, Choices("api")))
    assert desk.view.open["V1"] == "Loading…"


# -- submitting ---------------------------------------------------------------------------------
async def test_a_submission_deploys_as_the_typed_command_and_reports_in_the_channel(desk: Desk) -> None:
    submission = submitted(desk, Choices("api", "staging", "v2"))
    assert await desk.forms.submit(submission) == "asked"
    [created] = desk.github.created
    assert (created.ref, created.sha, created.environment, created.requester) == ("v2", "b" * 40, "staging", ALICE)
    [posted] = list(desk.chat.messages.values())
    assert posted.place == OPS
    assert posted.reply_key == submission.answer_key  # where the deploy's status is edited later
    assert "to `staging` for" in posted.text
    done = desk.view.open[submission.view.id]
    assert isinstance(done, str)
    assert posted.text in done
    trail = list(reversed(await desk.audit.recent(10)))
    assert [(e.action, e.actor) for e in trail] == [("deploy.requested", ALICE), ("deploy.created", ALICE)]


async def test_no_ref_is_the_default_branch(desk: Desk) -> None:
    await desk.forms.submit(submitted(desk, Choices("api", "staging")))
    assert desk.github.created[0].ref == "main"


async def test_a_protected_environment_asks_for_an_approval_with_its_button(desk: Desk) -> None:
    await desk.forms.submit(submitted(desk, Choices("api", "production")))
    assert desk.github.created == []
    [posted] = list(desk.chat.messages.values())
    assert "needs an approval" in posted.text
    assert [b.action for b in posted.buttons] == [APPROVE_ACTION]


@pytest.mark.parametrize(
    ("by", "chosen", "refusal"),
    [
        (EVE, Choices("api", "production"), "you are not one of its deployers"),
        (ALICE, Choices("api", "staging", "nope"), "`nope` is not a branch, tag or commit of `acme/api`"),
        (ALICE, Choices("api", "qa"), "`api` has no environment `qa`"),
        (ALICE, Choices("payments", "staging"), "There is no service called `payments`"),
        (ALICE, Choices("api", "staging", "$(curl x)"), "not a branch, tag or commit name opsbot takes"),
        (ALICE, Choices("api to production", "staging"), "Choose a service from the list."),
    ],
)
async def test_a_refusal_is_shown_in_the_form_with_the_choices_kept(
    desk: Desk, by: Person, chosen: Choices, refusal: str
) -> None:
    submission = submitted(desk, chosen, by=by)
    assert await desk.forms.submit(submission) == "refused"
    form = shown(desk, submission.view.id)
    assert refusal in (form.problem or "")
    assert form.requester == by
    assert desk.github.created == []
    assert list(desk.chat.messages.values()) == []  # nothing said in the channel: the person sees it in the form


async def test_a_locked_environment_is_refused_in_the_form(desk: Desk) -> None:
    await desk.locking.lock(CAROL, LockScope("staging", None), "migrating")
    submission = submitted(desk, Choices("api", "staging", "v2"))
    assert await desk.forms.submit(submission) == "refused"
    form = shown(desk, submission.view.id)
    assert "is locked by" in (form.problem or "")
    assert "migrating" in (form.problem or "")
    assert form.chosen == Choices("api", "staging", "v2")
    assert desk.github.created == []


async def test_a_refusal_for_a_closed_form_is_said_in_the_channel(desk: Desk) -> None:
    submission = submitted(desk, Choices("api", "production"), by=EVE)
    desk.view.close(submission.view.id)
    await desk.forms.submit(submission)
    [posted] = list(desk.chat.messages.values())
    assert "not one of its deployers" in posted.text
    assert posted.reply_key == submission.answer_key


# -- the sentence -------------------------------------------------------------------------------
WORDS = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(["api", "main", "v1.2", "a/b", ""])


@given(service=WORDS, environment=WORDS, ref=st.none() | WORDS)
def test_the_sentence_says_exactly_what_was_chosen_or_is_refused(
    service: str, environment: str, ref: str | None
) -> None:
    chosen = Choices(service, environment, ref or None)
    try:
        text = sentence(chosen)
    except CommandError:
        return
    table = CommandTable("opsbot", Section(object(), DEPLOY_COMMANDS))
    assert table.parse(text) == Deploy(service, ref or None, environment)


def test_form_jobs_read_back_as_they_were_written() -> None:
    chosen = Choices("api", "staging", None)
    request = FormRequest(OpenView("V1", "h1"), ALICE, OPS, chosen)
    assert FormRequest.from_json(request.to_json()) == request
    submission = FormSubmission("1.2.abc", OpenView("V1"), ALICE, OPS, chosen)
    assert FormSubmission.from_json(submission.to_json()) == submission
