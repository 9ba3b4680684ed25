"""A person changing a todo on a forge, as it travels from the webhook to the worker.

Both arrive as one job kind, told apart by ``what``: a tracking comment whose
boxes were ticked (``checklist``), or a todo's issue closed or reopened
(``issue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, get_args

from bot import json_fields
from bot.deploys.deploying import ForgeName
from bot.model import GitHubThread, GitLabThread, Person, place_from_json, public_place

TODO_CHANGE = "todo.change"  # as a job's kind: a wire string, never renamed
FORGES: tuple[ForgeName, ...] = get_args(ForgeName)


@dataclass(frozen=True)
class ChecklistEdited:
    """A person edited opsbot's tracking comment at ``place``; ``previous`` is the body before, when the forge says."""

    KIND: ClassVar[str] = TODO_CHANGE

    place: GitHubThread | GitLabThread
    body: str
    previous: str | None
    person: Person
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "what": "checklist",
            "place": public_place(self.place),
            "body": self.body,
            "previous": self.previous,
            "person": self.person.to_json(),
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChecklistEdited:
        place = place_from_json(dict(json_fields.mapping(data, "place")))
        if not isinstance(place, (GitHubThread, GitLabThread)):
            raise ValueError("'place' is not a forge thread")
        return cls(
            place=place,
            body=json_fields.text(data, "body"),
            previous=json_fields.optional_text(data, "previous"),
            person=Person.from_json(json_fields.mapping(data, "person")),
            at=json_fields.number(data, "at"),
        )


@dataclass(frozen=True)
class TodoIssueChanged:
    """A person closed or reopened issue ``number``, whose ``description`` may name the todo it mirrors."""

    KIND: ClassVar[str] = TODO_CHANGE

    forge: ForgeName
    repo: str
    number: int
    description: str
    closed: bool
    person: Person
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "what": "issue",
            "forge": self.forge,
            "repo": self.repo,
            "number": self.number,
            "description": self.description,
            "closed": self.closed,
            "person": self.person.to_json(),
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TodoIssueChanged:
        return cls(
            forge=json_fields.one_of(data, "forge", FORGES),
            repo=json_fields.text(data, "repo"),
            number=json_fields.integer(data, "number"),
            description=json_fields.text(data, "description"),
            closed=json_fields.flag(data, "closed"),
            person=Person.from_json(json_fields.mapping(data, "person")),
            at=json_fields.number(data, "at"),
        )


TodoChange = ChecklistEdited | TodoIssueChanged


def todo_change_from_json(data: Mapping[str, Any]) -> TodoChange:
    what = json_fields.one_of(data, "what", ("checklist", "issue"))
    return ChecklistEdited.from_json(data) if what == "checklist" else TodoIssueChanged.from_json(data)
