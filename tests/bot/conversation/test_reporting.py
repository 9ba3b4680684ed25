"""Status messages where the platform won't let opsbot read the history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import redis.asyncio as redis

from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.fakes import FakeMarks
from bot.model import Button, ChatMessage, GitHubThread, Place, SlackThread
from bot.settings import Settings
from bot.stores.marks import RedisMarks

if TYPE_CHECKING:
    from tests.harness import Emulators


async def test_a_status_is_posted_when_the_history_cannot_be_read(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    from handlers.app import build_integrations
    from tests.harness import bot_env

    chats = build_integrations(Settings.from_env(bot_env(redis_url, emulators))).chats
    marks = RedisMarks(redis_client)
    reporter = Reporter(chats, Replies(marks), marks)
    # A DM with opsbot, say: Slack answers the history lookup with not_in_channel.
    emulators.slack.fail_next(
        "GET", r"/api/conversations\.history$", 200, body={"ok": False, "error": "not_in_channel"}
    )
    place = SlackThread(channel="C_OPS")
    first = await reporter.update(place, "deploy:1:status", "Deploying api to staging…")
    assert emulators.slack.requests_to("GET", r"/api/conversations\.history$"), "the lookup was never tried"
    second = await reporter.update(place, "deploy:1:status", "Deployed api to staging.")
    assert first == second
    [status] = [m for m in emulators.slack.messages("C_OPS") if m.get("user") == emulators.slack.bot_user_id]
    assert status["text"] == "Deployed api to staging."


class _Chat:
    """The Chat port over a list of (id, reply key, text), as a forge thread keeps them."""

    def __init__(self) -> None:
        self.messages: list[list[str]] = []

    async def acknowledge(self, message: ChatMessage) -> None:
        pass

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        self.messages.append([str(len(self.messages) + 1), reply_key, text])
        return self.messages[-1][0]

    async def find_reply(self, place: Place, reply_key: str, *, since: float) -> str | None:
        return next((m[0] for m in self.messages if m[1] == reply_key), None)

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        self.messages[int(message_id) - 1][1:] = [reply_key, text]


async def test_a_status_posted_under_a_former_key_is_edited_and_takes_the_new_key() -> None:
    chat, marks = _Chat(), FakeMarks()
    reporter = Reporter({"github": chat}, Replies(marks), marks, clock=lambda: 1000.0)
    place = GitHubThread("acme/api", 7, is_pull_request=True)
    chat.messages.append(["1", "todos:acme/api:7:True:github", "old list"])  # posted by an earlier release
    posted = await reporter.update(
        place, "todos:acme/api:7:False:github", "new list", formerly=["todos:acme/api:7:True:github"]
    )
    assert posted == "1"
    assert chat.messages == [["1", "todos:acme/api:7:False:github", "new list"]]
    await reporter.update(place, "todos:acme/api:7:False:github", "newer list")
    assert chat.messages == [["1", "todos:acme/api:7:False:github", "newer list"]]


async def test_without_a_former_key_a_status_under_another_key_is_left_alone() -> None:
    chat, marks = _Chat(), FakeMarks()
    reporter = Reporter({"github": chat}, Replies(marks), marks, clock=lambda: 1000.0)
    chat.messages.append(["1", "deploy:1:status", "Deploying…"])
    await reporter.update(GitHubThread("acme/api", 7, is_pull_request=True), "deploy:2:status", "Deploying web…")
    assert [m[1] for m in chat.messages] == ["deploy:1:status", "deploy:2:status"]
