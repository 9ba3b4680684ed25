"""In-memory stand-ins for the shared ports (``Marks``, ``Mutexes``, ``Chat``, ``IssueTracker``).

They keep the Redis implementations' semantics (whole-second TTLs, a mutex
held by one holder at a time and lapsing after ``hold_for``) so rule tests
run without a redis-server; ``tests/contracts`` checks both against one
suite. Time comes from an injected clock, so a test moves it instead of
sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.errors import Busy
from bot.model import Button, ChatMessage, GitHubThread, Place
from bot.ports import TrackedIssue
from bot.text import Hidden, hidden, plain, segments

Clock = Callable[[], float]
K = TypeVar("K")
V = TypeVar("V")


class Expiring(Generic[K, V]):
    """A dict whose entries vanish at a deadline on ``clock``, as Redis keys with a TTL do."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._values: dict[K, tuple[V, float | None]] = {}

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        self._values[key] = (value, None if ttl is None else self._clock() + ttl)

    def get(self, key: K) -> V | None:
        found = self._values.get(key)
        if found is None:
            return None
        value, deadline = found
        if deadline is not None and self._clock() >= deadline:
            del self._values[key]
            return None
        return value

    def pop(self, key: K) -> V | None:
        value = self.get(key)
        self._values.pop(key, None)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._values and self.get(key) is not None

    def keys(self) -> Iterator[K]:
        return iter([key for key in list(self._values) if self.get(key) is not None])


class ManualClock:
    """A clock that moves only when a test moves it (``now`` is settable); ``step`` > 0 makes every
    reading a ``step`` later than the one before, for code that must see time pass between calls."""

    def __init__(self, now: float = 1_800_000_000.0, step: float = 0.0) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def whole_seconds(ttl: float) -> int:
    """Redis's ``EX`` takes whole seconds, at least one."""
    return max(1, int(ttl))


class FakeMarks:
    def __init__(self, clock: Clock = time.time) -> None:
        self._values: Expiring[str, str] = Expiring(clock)

    async def get(self, key: str) -> str | None:
        return self._values.get(key)

    async def set(self, key: str, ttl: float, value: str = "1") -> None:
        self._values.put(key, value, whole_seconds(ttl))


HOLD_FOR = 30.0
WAIT_FOR = 10.0
POLL = 0.05


class FakeMutexes:
    """One holder per name; a holder that never lets go loses the mutex after ``hold_for`` on ``clock``."""

    def __init__(self, *, hold_for: float = HOLD_FOR, wait_for: float = WAIT_FOR, clock: Clock = time.time) -> None:
        self._held: Expiring[str, int] = Expiring(clock)
        self._hold_for = hold_for
        self._wait_for = wait_for
        self._tokens = itertools.count(1)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        token = next(self._tokens)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait_for
        while name in self._held:
            if loop.time() >= give_up:
                raise Busy(f"another worker is still updating {name}")
            await asyncio.sleep(POLL)
        self._held.put(name, token, self._hold_for)
        try:
            yield
        finally:
            if self._held.get(name) == token:  # after hold_for someone else may have it
                self._held.pop(name)


@dataclass
class Posted:
    place: Place
    text: str
    reply_key: str
    buttons: tuple[Button, ...] = ()
    edits: list[str] = field(default_factory=list)


class RecordingChat:
    """A ``Chat`` that keeps what opsbot said, where, and under which reply key."""

    def __init__(self) -> None:
        self.acknowledged: list[str] = []
        self.messages: dict[str, Posted] = {}
        self._ids = itertools.count(1)

    async def acknowledge(self, message: ChatMessage) -> None:
        if message.id not in self.acknowledged:
            self.acknowledged.append(message.id)

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        message_id = f"msg-{next(self._ids)}"
        self.messages[message_id] = Posted(place, text, reply_key, tuple(buttons))
        return message_id

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        return next((i for i, m in self.messages.items() if m.place == place and m.reply_key == reply_key), None)

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        posted = self.messages[message_id]
        posted.edits.append(text)
        posted.text = text
        posted.buttons = tuple(buttons)  # an edit replaces the whole message, buttons included

    def texts(self) -> list[str]:
        """What each message says now, oldest first."""
        return [m.text for m in self.messages.values()]


@dataclass
class Issue:
    title: str
    body: str
    labels: list[str]
    open: bool = True


def as_forge_shows(text: str) -> str:
    """``text`` as a forge shows it back: hidden markers are HTML comments, the rest plain."""
    for marker in {s.marker for s in segments(text) if isinstance(s, Hidden)}:
        text = text.replace(hidden(marker), f"<!-- {marker} -->")
    return plain(text)


class FakeIssueTracker:
    """GitHub-shaped issues per repository; people's labels are kept when opsbot edits.
    Descriptions are kept as the forge shows them, hidden markers as HTML comments."""

    def __init__(self) -> None:
        self.issues: dict[tuple[str, int], Issue] = {}

    async def find(self, repo: str, label: str, marker: str) -> TrackedIssue | None:
        for (where, number), issue in self.issues.items():
            if where == repo and label in issue.labels and as_forge_shows(marker) in issue.body:
                return self._tracked(number, issue)
        return None

    async def open(self, repo: str, title: str, body: str, labels: Sequence[str]) -> TrackedIssue:
        number = 1 + sum(1 for where, _ in self.issues if where == repo)
        self.issues[(repo, number)] = Issue(plain(title), as_forge_shows(body), list(labels))
        return self._tracked(number, self.issues[(repo, number)])

    async def edit(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        add_labels: Sequence[str] = (),
        remove_labels: Sequence[str] = (),
        open: bool | None = None,
    ) -> None:
        issue = self.issues[(repo, number)]
        issue.title = plain(title) if title is not None else issue.title
        issue.labels = [label for label in issue.labels if label not in remove_labels]
        issue.labels += [label for label in add_labels if label not in issue.labels]
        issue.open = open if open is not None else issue.open

    def place(self, repo: str, number: int) -> Place:
        return GitHubThread(repo, number, False)

    @staticmethod
    def _tracked(number: int, issue: Issue) -> TrackedIssue:
        return TrackedIssue(number, issue.title, issue.open, tuple(issue.labels))
