"""Locks from Slack and from a GitHub comment, through the queue and a worker."""

from __future__ import annotations

from tests.harness import BotUnderTest, Emulators, slash_command_body
from tests.test_end_to_end import REPO, by_bot, posted, setup_github


def answers(emulators: Emulators, channel: str = "C_OPS") -> list[str]:
    return [m["text"] for m in emulators.slack.messages(channel) if m.get("user") == emulators.slack.bot_user_id]


async def test_a_lock_from_slack_blocks_others_and_shows_in_status(bot: BotUnderTest, emulators: Emulators) -> None:
    await bot.slack(slash_command_body("lock production api --reason db migration", user="U_ALICE"))
    await bot.run_jobs()
    await bot.slack(slash_command_body("lock production api", user="U_BOB"))
    await bot.run_jobs()
    await bot.slack(slash_command_body("status api", user="U_BOB"))
    await bot.run_jobs()
    taken, refused, status = answers(emulators)
    assert "locked by <@U_ALICE>: db migration" in taken
    assert refused == "`production/api` is locked by <@U_ALICE>: db migration."
    assert "🔒 `production/api` by <@U_ALICE>" in status
    assert "lock.refused production/api by <@U_BOB>: held by U_ALICE" in status


async def test_locks_listed_on_github_name_slack_people_in_plain_text(bot: BotUnderTest, emulators: Emulators) -> None:
    await bot.slack(slash_command_body("lock staging --reason load test", user="U_ALICE"))
    await bot.run_jobs()
    number = setup_github(emulators)
    await bot.github("issue_comment", posted(emulators, number, "@opsbot locks"))
    await bot.run_jobs()
    [comment] = by_bot(emulators.github.comments(REPO, number))
    assert "🔒 `staging (all services)` by `U_ALICE`" in comment["body"]
    assert "<@" not in comment["body"]  # GitHub would swallow it as an unknown HTML tag
