"""Shared fixtures: a private redis-server, the emulators, and the bot under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as redis

from tests.emulators import AnthropicEmulator, GitHubEmulator, GitLabEmulator, SlackEmulator
from tests.harness import BotUnderTest, Emulators, bot_env
from tests.redis_server import redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def emulator_servers() -> Iterator[Emulators]:
    with (
        SlackEmulator() as slack,
        GitHubEmulator() as github,
        GitLabEmulator() as gitlab,
        AnthropicEmulator(api_key="sk-ant-api03-" + "e" * 40) as anthropic,
    ):
        yield Emulators(slack, github, gitlab, anthropic)


@pytest.fixture
def emulators(emulator_servers: Emulators) -> Emulators:
    emulator_servers.reset()
    return emulator_servers


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    async with BotUnderTest(bot_env(redis_url, emulators)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"
