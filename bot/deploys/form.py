"""The deploy form: asking for a deploy by choosing, not by typing the sentence.

Slack shows it as a modal when ``/ops deploy`` comes with no arguments. What the
form offers (the services, the chosen service's environments, its repository's
branches) is the core's to decide; how it looks is the Slack renderer's. What
the person submits becomes the sentence they could have typed, run through the
same command table, so a form can't ask for anything the sentence couldn't.

:class:`FormRequest` and :class:`FormSubmission` cross the job queue: their kinds
and fields are wire strings, never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot import json_fields
from bot.commands.names import is_name, is_ref
from bot.errors import CommandError
from bot.model import ChatMessage, Person, Place, place_from_json

MAX_BRANCHES = 100  # the most branches a form lists; a tag, a commit or any other branch is typed


@dataclass(frozen=True)
class OpenView:
    """A form open on someone's screen: its id, and the version of it the change is meant for
    (Slack's view hash; None: whatever is shown now)."""

    id: str
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OpenView:
        return cls(json_fields.text(data, "id"), json_fields.optional_text(data, "version"))


@dataclass(frozen=True)
class Choices:
    """What the person has chosen so far; anything may still be missing."""

    service: str | None = None
    environment: str | None = None
    ref: str | None = None  # None: the default branch

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "environment": self.environment, "ref": self.ref}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Choices:
        return cls(*(json_fields.optional_text(data, key) for key in ("service", "environment", "ref")))


@dataclass(frozen=True)
class EnvironmentChoice:
    name: str
    protected: bool  # deploying there waits for someone else's approval


@dataclass(frozen=True)
class DeployForm:
    """The form as it should be shown now."""

    requester: Person
    origin: Place  # where the form was asked for: the deploy's status is posted there
    services: tuple[str, ...]
    environments: tuple[EnvironmentChoice, ...]  # the chosen service's, or every one before a choice
    branches: tuple[str, ...]  # the chosen service's repository's, its default branch first
    chosen: Choices = field(default_factory=Choices)
    note: str | None = None  # why there are no branches to choose from
    problem: str | None = None  # why the last submission was refused


def _common(data: Mapping[str, Any]) -> tuple[Person, Place, Choices]:
    return (
        Person.from_json(json_fields.mapping(data, "requester")),
        place_from_json(dict(json_fields.mapping(data, "origin"))),
        Choices.from_json(json_fields.mapping(data, "chosen")),
    )


@dataclass(frozen=True)
class FormRequest:
    """Show the form, or show it again for what was chosen so far (another service was picked)."""

    KIND: ClassVar[str] = "deploy.form"

    view: OpenView
    requester: Person
    origin: Place
    chosen: Choices = field(default_factory=Choices)

    def to_json(self) -> dict[str, Any]:
        return {
            "view": self.view.to_json(),
            "requester": self.requester.to_json(),
            "origin": dict(vars(self.origin)),
            "chosen": self.chosen.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormRequest:
        return cls(OpenView.from_json(json_fields.mapping(data, "view")), *_common(data))


@dataclass(frozen=True)
class FormSubmission:
    """The person submitted the form: ask for the deploy it describes, as them."""

    KIND: ClassVar[str] = "deploy.form.submitted"

    id: str  # unique per submission (Slack's trigger id): names the request and its answer
    view: OpenView
    requester: Person
    origin: Place
    chosen: Choices

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **FormRequest(self.view, self.requester, self.origin, self.chosen).to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormSubmission:
        return cls(json_fields.text(data, "id"), OpenView.from_json(json_fields.mapping(data, "view")), *_common(data))

    @property
    def message_id(self) -> str:
        return f"{self.origin.platform}:form:{self.id}"

    @property
    def answer_key(self) -> str:
        """The reply key of the answer, as a typed command's: the deploy's status message is edited under it."""
        return f"{self.message_id}:answer"

    def message(self, text: str) -> ChatMessage:
        """The submission as the slash command that says the same."""
        return ChatMessage(self.message_id, self.requester, self.origin, text, "slash")


def sentence(chosen: Choices) -> str:
    """The command a person would type for ``chosen``: ``deploy api@v2 to staging``.

    The words are joined without quoting, so a value with a space or a quote in it would
    change what the sentence says; the grammar's own alphabet is checked first.
    """
    if not chosen.service or not is_name(chosen.service):
        raise CommandError("Choose a service from the list.")
    if not chosen.environment or not is_name(chosen.environment):
        raise CommandError("Choose an environment from the list.")
    if chosen.ref is not None and not is_ref(chosen.ref):
        raise CommandError("That is not a branch, tag or commit name opsbot takes (letters, digits, `._/-`).")
    service = f"{chosen.service}@{chosen.ref}" if chosen.ref else chosen.service
    return f"deploy {service} to {chosen.environment}"
