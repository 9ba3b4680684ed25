"""Threads the agent follows, remembered by the thread's name (and the name it had before)."""

from __future__ import annotations

from bot.conversation.following import FOLLOW_FOR, Following
from bot.model import GitHubThread, SlackThread


class Marks:
    """The Marks port as a dict; TTLs are kept to be looked at, not counted down."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, float]] = {}

    async def get(self, key: str) -> str | None:
        found = self.held.get(key)
        return found[0] if found else None

    async def set(self, key: str, ttl: float, value: str = "1") -> None:
        self.held[key] = (value, ttl)


async def test_a_thread_the_agent_answered_in_is_followed_for_a_week() -> None:
    marks = Marks()
    following = Following(marks)
    await following.follow(SlackThread("C_OPS", "1700000000.000100", response_url="https://hooks.example/1"))
    assert await following.follows("C_OPS", "1700000000.000100")
    assert not await following.follows("C_OPS", "1700000000.000200")
    assert not await following.follows("C_DEV", "1700000000.000100")
    assert [ttl for _, ttl in marks.held.values()] == [FOLLOW_FOR]


async def test_only_slack_threads_are_followed() -> None:
    marks = Marks()
    following = Following(marks)
    await following.follow(SlackThread("C_OPS"))  # a channel message starts no thread
    await following.follow(GitHubThread("acme/api", 7, is_pull_request=True))
    assert marks.held == {}


async def test_a_thread_followed_under_its_earlier_name_is_still_followed() -> None:
    marks = Marks()
    await marks.set("follow:slack:C_OPS:1700000000.000100", FOLLOW_FOR)  # as an earlier release wrote it
    following = Following(marks)
    assert await following.follows("C_OPS", "1700000000.000100")
    assert not await following.follows("C_OPS", "1700000000.000200")
