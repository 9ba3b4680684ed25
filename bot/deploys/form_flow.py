"""The deploy form's life: shown, shown again as choices change, submitted.

A submission is the sentence the person could have typed (:func:`bot.deploys.form.sentence`),
parsed by the one command table and run as them, so every check of a typed deploy (the
service and environment, the person, locks, a deploy in flight, the ref, an approval) is
the same. A refusal goes back into the form, where the person is looking, with what they
chose kept; an accepted request is posted where the form was asked for, as the typed
command's answer would be, and its status message is edited there as the deploy goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Protocol

from bot.commands.names import is_ref
from bot.commands.types import Parsed
from bot.config import OpsConfig, Service
from bot.conversation.reporting import Reporter
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
from bot.deploys.grammar import Deploy
from bot.deploys.ports import BranchLister, FormView
from bot.errors import CommandError, UpstreamError
from bot.forges import ForgeName
from bot.model import Answer, ChatMessage, Person, Place, SlackThread
from bot.text import channel

log = logging.getLogger(__name__)


class Commands(Protocol):
    """What the form needs of the command table: the typed command's own parse and run."""

    def parse(self, text: str) -> Parsed: ...

    def run(self, command: object, message: ChatMessage) -> Awaitable[Answer | str]: ...


class DeployForms:
    def __init__(
        self,
        config: OpsConfig,
        view: FormView,
        branches: Mapping[ForgeName, BranchLister],
        commands: Commands,
        reporter: Reporter,
    ) -> None:
        self._config = config
        self._view = view
        self._branches = branches
        self._commands = commands
        self._reporter = reporter

    async def show(self, request: FormRequest) -> None:
        form = await self.form(request.requester, request.origin, request.chosen)
        if not await self._view.show(request.view, form):
            log.info("deploy form not shown: it was closed or changed meanwhile", extra={"view": request.view.id})

    async def form(self, requester: Person, origin: Place, chosen: Choices, problem: str | None = None) -> DeployForm:
        """The form for what has been chosen so far; a choice that doesn't fit (a service no longer
        configured, another service's environment) is dropped rather than kept out of sight."""
        services = self._config.services
        service = services.get(chosen.service or "")
        if service is None and len(services) == 1:
            service = next(iter(services.values()))  # nothing to choose
        names = service.environments if service is not None else tuple(self._config.environments)
        environments = tuple(EnvironmentChoice(n, self._config.environments[n].protected) for n in names)
        environment = chosen.environment if chosen.environment in names else None
        ref = chosen.ref if chosen.ref and is_ref(chosen.ref) else None  # shown back only if it could be typed
        branches, note = await self._listed(service)
        return DeployForm(
            requester, origin, tuple(services), environments, branches,
            Choices(service.name if service else None, environment, ref), note, problem,
        )  # fmt: skip

    async def _listed(self, service: Service | None) -> tuple[tuple[str, ...], str | None]:
        """The service's branches, or why there are none to choose from. The form is still worth
        showing without them: a branch, tag or commit can be typed."""
        if service is None:
            return (), "Choose a service to list its branches."
        forge: ForgeName = "github" if service.github else "gitlab"
        lister = self._branches.get(forge)
        if lister is None:
            return (), f"opsbot can't list `{service.name}`'s branches here: type a branch, tag or commit."
        try:
            found = await lister.list_branches(service.github or service.gitlab or "", MAX_BRANCHES)
        except UpstreamError as exc:
            log.warning("could not list branches", extra={"service": service.name, "error": str(exc)})
            return (), f"{exc.service} didn't list `{service.name}`'s branches ({exc.detail}): type one."
        # Names from the forge are outside text: offer only what the grammar would take when typed.
        return tuple(b for b in found if is_ref(b))[:MAX_BRANCHES], None

    async def submit(self, submission: FormSubmission) -> str:
        """Ask for the deploy as the person who submitted; what happened, for the log."""
        try:
            text = sentence(submission.chosen)
            parsed = self._commands.parse(text)
            if not isinstance(parsed, Deploy):  # the alphabet is checked, so only a grammar change gets here
                raise CommandError(f"`{text}` is not a deploy opsbot understands.")
            answer = await self._commands.run(parsed, submission.message(text))
        except CommandError as refusal:
            await self.refused(submission, str(refusal))
            return "refused"
        if isinstance(answer, str):
            answer = Answer(answer)
        # Under the key the deploy's status message is edited by, as the typed command's answer.
        await self._reporter.announce(submission.origin, submission.answer_key, answer.text, buttons=answer.buttons)
        where = channel(submission.origin.channel) if isinstance(submission.origin, SlackThread) else "the channel"
        await self._view.finish(submission.view, f"{answer.text}\n\nPosted in {where}, where its status follows.")
        return "asked"

    async def refused(self, submission: FormSubmission, why: str) -> None:
        """Show why in the form, with what was chosen; where the form is gone, say it in the channel."""
        form = await self.form(submission.requester, submission.origin, submission.chosen, problem=why)
        if not await self._view.show(OpenView(submission.view.id), form):
            told = f"{submission.requester.ref}: {why}"
            await self._reporter.announce(submission.origin, submission.answer_key, told)
