"""Shared fixtures: a private redis-server, the emulators, and the bot under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as redis
from hypothesis import settings

from tests.redis_server import redis_server

# Property tests check what is true, not how fast: speed is `make bench`'s. Hypothesis's default
# 200 ms deadline fails an example that merely ran while the other core was busy (`-n auto`).
settings.register_profile("opsbot", deadline=None)
settings.load_profile("opsbot")

if TYPE_CHECKING:
    # The harness brings the whole app and every vendor SDK with it; imported where a fixture is
    # used, so the unit layer (`make unit`) doesn't pay for it.
    from tests.alerting_servers import AlertingServers
    from tests.harness import BotUnderTest, Emulators


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
    from tests.emulators import AnthropicEmulator, GitHubEmulator, GitLabEmulator, SlackEmulator
    from tests.harness import Emulators

    with (
        SlackEmulator() as slack,
        GitHubEmulator() as github,
        GitLabEmulator() as gitlab,
        AnthropicEmulator(api_key="sk-ant-api03-" + "e" * 40) as anthropic,
    ):
        yield Emulators(slack, github, gitlab, anthropic)


@pytest.fixture(scope="session")
def alerting() -> Iterator[AlertingServers]:
    """A real Prometheus and Alertmanager shared by the alert tests (tests/alerting_servers.py)."""
    from tests.alerting_servers import alerting_servers

    with alerting_servers() as servers:
        yield servers


@pytest.fixture
def emulators(emulator_servers: Emulators) -> Emulators:
    emulator_servers.reset()
    return emulator_servers


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    from tests.harness import BotUnderTest, bot_env

    async with BotUnderTest(bot_env(redis_url, emulators)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


# The unit layer (`make unit`): the core's rules on fakes, no redis-server, no emulator, no ASGI app.
# A test is in it when it lives where the core's tests live and asks for no server. The adapters'
# own tests (bot/stores, bot/clients) check the vendor side and the Redis half of the contract
# suites needs the server, so they run with the rest in `make test`.
UNIT_DIRECTORIES = ("tests/bot/", "tests/contracts/")
NOT_UNIT_DIRECTORIES = ("tests/bot/stores/", "tests/bot/clients/")
SERVER_FIXTURES = frozenset({"redis_url", "emulator_servers", "alerting"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "unit: needs no redis-server, emulator or ASGI app (`make unit`)")
    config.addinivalue_line("markers", "needs_redis: runs against the suite's redis-server")
    config.addinivalue_line("markers", "needs_alerting: runs against the suite's Prometheus and Alertmanager")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(config.rootpath).as_posix()
        if (
            where.startswith(UNIT_DIRECTORIES)
            and not where.startswith(NOT_UNIT_DIRECTORIES)
            and not SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
            and item.get_closest_marker("needs_redis") is None
            and item.get_closest_marker("needs_alerting") is None
        ):
            item.add_marker(pytest.mark.unit)
