"""Places as the edges build them: ids in the alphabets Slack, GitHub and GitLab use."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.model import ConsoleThread, GitHubThread, GitLabThread, SlackThread

_NAME = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", min_size=1, max_size=20)
_TS = st.tuples(st.integers(10**9, 2 * 10**9), st.integers(0, 999_999)).map(lambda t: f"{t[0]}.{t[1]:06d}")
_SLACK_ID = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=11)

slack_threads = st.builds(
    SlackThread,
    channel=_SLACK_ID.map("C".__add__),
    thread_ts=st.none() | _TS,
    response_url=st.none() | _NAME.map("https://hooks.slack.example/commands/".__add__),
)
github_threads = st.builds(
    GitHubThread,
    repo=st.tuples(_NAME, _NAME).map("/".join),
    number=st.integers(1, 10**6),
    is_pull_request=st.booleans(),
)
gitlab_threads = st.builds(
    GitLabThread,
    project=st.lists(_NAME, min_size=2, max_size=3).map("/".join) | st.integers(1, 10**6).map(str),
    iid=st.integers(1, 10**6),
    kind=st.sampled_from(["merge_request", "issue"]),
)
console_threads = st.builds(ConsoleThread, channel=_NAME)
places = st.one_of(slack_threads, github_threads, gitlab_threads, console_threads)
