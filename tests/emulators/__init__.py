"""Emulators of the Slack, GitHub, GitLab and Anthropic HTTP APIs for the test suite.

Each one serves on 127.0.0.1 so the real client libraries talk to it over HTTP.
"""

from .github import GitHubEmulator
from .gitlab import GitLabEmulator
from .server import Served
from .slack import SlackEmulator

__all__ = ["GitHubEmulator", "GitLabEmulator", "Served", "SlackEmulator"]
