"""Emulators of the Slack, GitHub, GitLab and Anthropic HTTP APIs for the test suite.

Each one serves on 127.0.0.1 so the real client libraries talk to it over HTTP::

    with GitHubEmulator() as github:
        github.add_repo("acme/api")
        client = Github(base_url=github.url, auth=Auth.Token(github.token), seconds_between_writes=0)

All of them share ``fail_next`` / ``hold`` (fault injection), ``requests`` /
``requests_to`` (what the clients sent), ``errors`` (the emulator's own failures)
and ``reset``. Start one per test session and ``reset()`` it per test: starting
takes a few milliseconds, stopping about 0.1 s.
"""

from .anthropic import AnthropicEmulator, api_error, text, tool_use
from .faults import ApiRequest, HeldRequest
from .github import GitHubEmulator
from .gitlab import GitLabEmulator
from .server import Served
from .slack import SlackEmulator

__all__ = [
    "AnthropicEmulator",
    "ApiRequest",
    "GitHubEmulator",
    "GitLabEmulator",
    "HeldRequest",
    "Served",
    "SlackEmulator",
    "api_error",
    "text",
    "tool_use",
]
