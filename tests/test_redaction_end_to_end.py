"""A secret said in prose never reaches Redis or Claude: the remember command, then the agent."""

from __future__ import annotations

import json

import redis.asyncio as redis

from tests.emulators import text
from tests.harness import BotUnderTest, Emulators, bot_env, slash_command_body

PASSWORD = "hunter2-S3cr3t-XYZ"
ANSWER = "**Summary**: Looked.\n**Approach**: Read the memories.\n**Remember**: null"


async def stored_text(client: redis.Redis) -> str:
    """Every string, hash, list and set value in Redis, as one text to search."""
    found: list[str] = []
    async for key in client.scan_iter("*"):
        kind = await client.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            found.append(repr(await client.get(key)))
        elif kind == "hash":
            found.append(repr(await client.hgetall(key)))
        elif kind == "list":
            found.append(repr(await client.lrange(key, 0, -1)))
        elif kind in ("set", "zset"):
            found.append(repr(await client.smembers(key) if kind == "set" else await client.zrange(key, 0, -1)))
        elif kind == "stream":
            found.append(repr(await client.xrange(key)))
        found.append(str(key, "utf-8"))
    return "\n".join(found)


async def test_a_password_said_in_prose_is_neither_stored_nor_sent_to_claude(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    emulators.anthropic.script([text(ANSWER)])
    async with BotUnderTest(bot_env(redis_url, emulators, agent=True, OPSBOT_AGENT_MAX_TURNS="2")) as bot:
        await bot.slack(slash_command_body(f"remember context the db password is {PASSWORD}", user="U_ALICE"))
        await bot.run_jobs()
        await bot.slack(slash_command_body(f"why can't the api log in to the db? the passwd: {PASSWORD}"))
        await bot.run_jobs()
        stored = await stored_text(redis_client)
    assert "the db password is [REDACTED password]" in stored
    assert PASSWORD not in stored
    sent = json.dumps(emulators.anthropic.bodies())
    assert "the db password is [REDACTED password]" in sent  # the memory reached Claude, redacted
    assert PASSWORD not in sent
    assert not emulators.errors
