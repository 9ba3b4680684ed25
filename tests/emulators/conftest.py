"""The Slack emulator's own tests share one server per module, reset before each test, and
the real slack_sdk client pointed at it."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators import SlackEmulator

SLACK_TOKEN = "xoxb-emulated"


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=SLACK_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def slack(slack_server: SlackEmulator) -> SlackEmulator:
    slack_server.reset()
    return slack_server


@pytest.fixture
def slack_client(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=SLACK_TOKEN, base_url=slack.url + "/api/")


async def slack_error(call: Awaitable[object]) -> str:
    """The ``error`` code of a call that must fail."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])
