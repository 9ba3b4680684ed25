"""The core's vocabulary: who asked, where, and what they said.

These values cross the job queue, so each one turns into plain JSON and back.
Platforms name people differently; :class:`Person` keeps the platform's own
immutable id (a Slack user id, a GitHub login, a GitLab username) because
display names can be changed by their owner and must never grant anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from bot import json_fields
from bot.text import mention, strip_tokens

Platform = Literal["slack", "github", "gitlab", "console"]
Via = Literal["slash", "mention"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
VIAS: tuple[Via, ...] = get_args(Via)


@dataclass(frozen=True)
class Person:
    platform: Platform
    id: str  # Slack user id, GitHub login, GitLab username, console user

    @property
    def ref(self) -> str:
        """How replies name this person: a :mod:`bot.text` token that Slack's renderer makes a
        mention and the forges' and the console's make plain text."""
        return mention(self.platform, self.id)

    @property
    def handle(self) -> str:
        """The name ops.yaml uses: ``U…`` for Slack, ``github:login``, ``gitlab:user``."""
        if self.platform in ("slack", "console"):
            return self.id
        return f"{self.platform}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "id": self.id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Person:
        return cls(json_fields.one_of(data, "platform", PLATFORMS), json_fields.text(data, "id"))


@dataclass(frozen=True)
class SlackThread:
    channel: str
    thread_ts: str | None = None  # None: a new message in the channel
    # A slash command's reply address: it works where opsbot isn't a member
    # (direct messages, channels nobody invited it to), for 30 minutes.
    response_url: str | None = None
    platform: Literal["slack"] = "slack"


@dataclass(frozen=True)
class GitHubThread:
    repo: str  # owner/name
    number: int
    is_pull_request: bool
    platform: Literal["github"] = "github"


@dataclass(frozen=True)
class GitLabThread:
    project: str  # path with namespace, or numeric id
    iid: int
    kind: Literal["merge_request", "issue"]
    platform: Literal["gitlab"] = "gitlab"


@dataclass(frozen=True)
class ConsoleThread:
    channel: str
    platform: Literal["console"] = "console"


Place = SlackThread | GitHubThread | GitLabThread | ConsoleThread


@dataclass(frozen=True)
class Button:
    """A button under a reply; where buttons don't exist, the text says what to type."""

    label: str
    action: str  # a wire string the Slack handler routes on
    value: str


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: tuple[Button, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "buttons": [vars(b) for b in self.buttons]})

    @classmethod
    def from_json(cls, raw: str) -> Answer:
        data = json.loads(raw)
        return cls(data["text"], tuple(Button(**b) for b in data["buttons"]))


@dataclass(frozen=True)
class ChatMessage:
    """One message addressed to the bot: a slash command or a mention.

    ``id`` is unique per message and stable across redeliveries; it names the
    reply, which is how a re-run job finds out that it already answered.
    ``source_id`` is the platform's id of the message itself (comment id,
    note id, Slack ts), used to react to it.
    """

    KIND: ClassVar[str] = "chat.message"  # as a job's kind: a wire string, never renamed

    id: str
    author: Person
    place: Place
    text: str
    via: Via
    source_id: str | None = None

    def __post_init__(self) -> None:
        # What a person wrote is outside text: it must not carry opsbot's own formatting.
        object.__setattr__(self, "text", strip_tokens(self.text))

    def platform_uses_slash(self) -> bool:
        """Slack and the console speak ``/ops …``; forges speak ``@opsbot …``."""
        return self.place.platform in ("slack", "console")

    def to_json(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies, and this runs per event.
        return {
            "id": self.id,
            "author": self.author.to_json(),
            "place": dict(vars(self.place)),
            "text": self.text,
            "via": self.via,
            "source_id": self.source_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatMessage:
        return cls(
            id=json_fields.text(data, "id"),
            author=Person.from_json(json_fields.mapping(data, "author")),
            place=place_from_json(dict(json_fields.mapping(data, "place"))),
            text=json_fields.text(data, "text"),
            via=json_fields.one_of(data, "via", VIAS),
            source_id=json_fields.optional_text(data, "source_id"),
        )


def public_place(place: Place) -> dict[str, Any]:
    """``place`` as it may be shown outside opsbot: without a slash command's
    response_url, which lets whoever holds it post into the channel."""
    return {key: value for key, value in vars(place).items() if key != "response_url"}


def thread_key(place: Place) -> str:
    """A stable name for the thread at ``place`` (a slash command's reply address left out)."""
    return ":".join(str(value) for value in public_place(place).values() if value is not None)


def place_from_json(data: dict[str, Any]) -> Place:
    kinds: dict[str, type[Place]] = {
        "slack": SlackThread,
        "github": GitHubThread,
        "gitlab": GitLabThread,
        "console": ConsoleThread,
    }
    return kinds[json_fields.one_of(data, "platform", PLATFORMS)](**data)
