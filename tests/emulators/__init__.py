"""Emulators of the Slack, GitHub, GitLab and Anthropic HTTP APIs for the test suite.

Each one serves on 127.0.0.1 so the real client libraries talk to it over HTTP.
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
