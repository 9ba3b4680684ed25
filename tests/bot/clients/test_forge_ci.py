"""ci_logs and what_changed over the real PyGithub and python-gitlab, against the emulators over HTTP."""

from __future__ import annotations

import pytest

from bot.clients.github import GitHubConnector
from bot.clients.github_ci import GitHubCi
from bot.clients.gitlab_ci import GitLabCi
from bot.config import OpsConfig
from bot.errors import CommandError, UpstreamError
from bot.investigation.ci_logs import CiLogs
from bot.investigation.log_excerpt import excerpt
from bot.investigation.looks import RESULT_LIMIT
from bot.investigation.what_changed import DeployPoint, WhatChanged
from bot.model import ChatMessage, GitHubThread, GitLabThread, Person, Place, SlackThread
from handlers.app import gitlab_client
from tests.bot.investigation.fakes import FakeHistory
from tests.bot.investigation.line_by_line import line_by_line_excerpt, lines_of
from tests.emulators.github_actions import log_text
from tests.harness import Emulators

CONFIG = OpsConfig.parse(
    {
        "services": {
            "api": {"github": "acme/api", "environments": ["production"]},
            "shop": {"gitlab": "acme/shop", "environments": ["production"]},
        },
        "environments": {"production": {}},
    }
)
SECRET = "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"
FAILING_LOG = [
    *[f"step {i}: ok" for i in range(300)],
    "##[group]Run pytest",
    "tests/test_api.py::test_checkout FAILED",
    f"AssertionError: expected 200, got 503 (token {SECRET})",
    "##[endgroup]",
    *[f"teardown {i}" for i in range(40)],
    "##[error]Process completed with exit code 1.",
]


def asked(place: Place) -> ChatMessage:
    return ChatMessage("m1", Person("github", "octocat"), place, "why?", "mention")


def github_ci(emulators: Emulators) -> GitHubCi:
    return GitHubCi(GitHubConnector(emulators.github.url, token=emulators.github.token, write_interval=None))


def gitlab_ci(emulators: Emulators) -> GitLabCi:
    from bot.settings import Settings

    settings = Settings.from_env({"GITLAB_TOKEN": emulators.gitlab.token, "GITLAB_URL": emulators.gitlab.url})
    client = gitlab_client(settings)
    assert client is not None
    return GitLabCi(client)


def seed_github_failure(emulators: Emulators, log: str | bytes) -> str:
    github = emulators.github
    github.add_repo("acme/api")
    github.add_issue("acme/api", 12, "Fix checkout", pull=True, head_sha="c" * 40)
    run = github.add_workflow_run("acme/api", "c" * 40, "CI")
    github.add_job(run, "unit tests", log=log)
    github.add_job(run, "lint", conclusion="success", log="all good\n")
    github.add_workflow_run("acme/api", "c" * 40, "Docs", conclusion="success")
    return "c" * 40


async def test_github_failing_job_shows_the_error_with_context_and_the_tail(emulators: Emulators) -> None:
    seed_github_failure(emulators, log_text(FAILING_LOG))
    text = await CiLogs(CONFIG, {"github": github_ci(emulators)}).run(asked(GitHubThread("acme/api", 12, True)), {})
    assert "CI / unit tests: failure, at step “Run tests”" in text
    assert "test_checkout FAILED" in text
    assert "AssertionError: expected 200, got 503" in text
    assert "Run pytest" in text  # context before
    assert "Error: Process completed with exit code 1." in text  # the tail
    assert SECRET not in text
    assert "REDACTED" in text
    assert "lint" not in text
    assert "Docs" not in text
    assert "2024-01-01T" not in text
    assert "##[" not in text
    assert emulators.github.requests_to("GET", r"/_blobs/job-logs/")  # the redirect was followed


def a_messy_log() -> bytes:
    """1.6 MB of what job logs hold: Windows line ends, colours, redraws, markers, bad UTF-8, errors among them."""
    shapes = (
        "2024-01-01T00:00:00.1234567Z step {i}: compiling src/m{i}.c -Wall -Werror\r",
        "\x1b[32;1mok {i}\x1b[0m", "downloading {i}%\r\rdone {i}", "##[group]Run make {i}", "##[endgroup]",
        "section_start:1700000000:step_{i}\r\x1b[0Ktesting {i}", "\x1b[31mFAILED\x1b[0m test_{i} (ünïcödé İ)",
        "error: undefined symbol sym_{nine}x{seven}", "plain line {i}", "plain line {i} again",
    )  # fmt: skip
    lines = [
        shapes[(i * 7) % len(shapes)].format(i=i, nine="abcdefghi"[i % 9], seven="jklmnop"[i % 7]).encode()
        for i in range(40_000)
    ]
    for i in range(0, len(lines), 997):
        lines[i] += b"\xff\xe2\x82"  # a stray byte and a character cut short
    return b"\n".join(lines)


async def test_github_a_log_read_over_http_is_excerpted_as_it_reads_line_by_line(emulators: Emulators) -> None:
    log = a_messy_log()
    sha = seed_github_failure(emulators, log)
    ci = github_ci(emulators)
    (job,) = await ci.failed_jobs("acme/api", sha, 5)
    assert await ci.read_log("acme/api", job, excerpt) == line_by_line_excerpt(lines_of(log))


async def test_github_no_failing_jobs_says_so(emulators: Emulators) -> None:
    emulators.github.add_repo("acme/api")
    text = await CiLogs(CONFIG, {"github": github_ci(emulators)}).run(asked(SlackThread("C1")), {"service": "api"})
    assert "no failed jobs" in text


async def test_github_a_huge_log_stays_bounded(emulators: Emulators) -> None:
    lines = [f"building part {i} " + "x" * 80 + (" error: flaky thing" if i % 5000 == 0 else "") for i in range(60_000)]
    seed_github_failure(emulators, log_text(lines))
    text = await CiLogs(CONFIG, {"github": github_ci(emulators)}).run(
        asked(SlackThread("C1")), {"service": "api", "pr": 12}
    )
    assert len(text) <= RESULT_LIMIT
    assert "building part 59999" in text


async def test_github_unknown_pr_and_repo_not_in_ops_yaml_are_refused(emulators: Emulators) -> None:
    emulators.github.add_repo("acme/api")
    look = CiLogs(CONFIG, {"github": github_ci(emulators)})
    with pytest.raises(CommandError, match="#99 is not found"):
        await look.run(asked(SlackThread("C1")), {"service": "api", "pr": 99})
    with pytest.raises(CommandError, match="`service` must be a service name"):
        await look.run(asked(GitHubThread("acme/api", 1, False)), {"service": "acme/other"})
    with pytest.raises(CommandError, match="no service called"):
        await look.run(asked(GitHubThread("acme/api", 1, False)), {"service": "other"})


async def test_github_down_is_an_upstream_error(emulators: Emulators) -> None:
    emulators.github.add_repo("acme/api")
    emulators.github.fail_next("GET", r"/actions/runs$", 502)
    with pytest.raises(UpstreamError):
        await CiLogs(CONFIG, {"github": github_ci(emulators)}).run(asked(SlackThread("C1")), {"service": "api"})


def seed_github_history(emulators: Emulators, count: int) -> list[str]:
    emulators.github.add_repo("acme/api")
    return emulators.github.add_commits(
        "acme/api",
        [
            {
                "message": f"change {i}\n\ndetails",
                "author": f"dev{i % 3}",
                "files": [
                    {"filename": f"src/part{i % 4}/f{i}.py", "status": "modified", "additions": i, "deletions": 1}
                ],
            }
            for i in range(count)
        ],
    )


async def test_github_what_changed_between_two_deploys_opsbot_recorded(emulators: Emulators) -> None:
    shas = seed_github_history(emulators, 10)
    history = FakeHistory({("api", "production"): [
        DeployPoint(shas[9], "main", 1_796_000_000.0, "U_ALICE"), DeployPoint(shas[4], "v1", 1_795_000_000.0, "U_BOB"),
    ]})  # fmt: skip
    text = await WhatChanged(CONFIG, {"github": github_ci(emulators)}, history).run(
        asked(SlackThread("C1")), {"service": "api", "environment": "production"}
    )
    assert "5 commits" in text
    assert text.index("change 9") < text.index("change 5")
    assert "change 4" not in text
    assert "U_BOB" in text
    assert "src/" in text


async def test_github_a_500_commit_compare_is_paged_and_bounded(emulators: Emulators) -> None:
    shas = seed_github_history(emulators, 501)
    text = await WhatChanged(CONFIG, {"github": github_ci(emulators)}, FakeHistory()).run(
        asked(SlackThread("C1")), {"service": "api", "from": shas[0], "to": "main"}
    )
    assert len(text) <= RESULT_LIMIT
    assert "500 commits" in text
    assert "change 500" in text
    assert "and 470 more" in text


async def test_github_bad_ref_in_compare_is_refused(emulators: Emulators) -> None:
    seed_github_history(emulators, 3)
    with pytest.raises(CommandError, match="is not a branch"):
        await WhatChanged(CONFIG, {"github": github_ci(emulators)}, FakeHistory()).run(
            asked(SlackThread("C1")), {"service": "api", "from": "nope", "to": "main"}
        )


async def test_gitlab_failing_job_trace_on_a_merge_request(emulators: Emulators) -> None:
    gitlab = emulators.gitlab
    gitlab.add_project("acme/shop", 7)
    gitlab.add_merge_request(7, 3, "Fix cart", sha="d" * 40)
    pipeline = gitlab.add_pipeline_run(7, "d" * 40)
    trace = "section_start:1700000000:step_script\r\x1b[0K\x1b[32;1m$ make test\x1b[0;m\n"
    trace += "".join(f"ok {i}\n" for i in range(200)) + "\x1b[31mpanic: nil map write\x1b[0m\n"
    trace += "".join(f"  at frame {i}\n" for i in range(30)) + "ERROR: Job failed: exit code 2\n"
    gitlab.add_ci_job(pipeline, "go test", trace=trace)
    gitlab.add_ci_job(pipeline, "build", status="success", trace="fine\n")
    text = await CiLogs(CONFIG, {"gitlab": gitlab_ci(emulators)}).run(
        asked(GitLabThread("acme/shop", 3, "merge_request")), {}
    )
    assert "go test: failed" in text
    assert "panic: nil map write" in text
    assert "ERROR: Job failed: exit code 2" in text
    assert "\x1b" not in text
    assert "section_start" not in text
    assert "build" not in text


async def test_gitlab_a_trace_read_over_http_is_excerpted_as_it_reads_line_by_line(emulators: Emulators) -> None:
    log = a_messy_log()
    emulators.gitlab.add_project("acme/shop", 7)
    emulators.gitlab.add_ci_job(emulators.gitlab.add_pipeline_run(7, "d" * 40), "go test", trace=log)
    ci = gitlab_ci(emulators)
    (job,) = await ci.failed_jobs("acme/shop", "d" * 40, 5)
    assert await ci.read_log("acme/shop", job, excerpt) == line_by_line_excerpt(lines_of(log))


async def test_gitlab_what_changed_between_two_refs(emulators: Emulators) -> None:
    emulators.gitlab.add_project("acme/shop", 7)
    shas = emulators.gitlab.add_commits(
        7,
        [
            {"message": f"shop change {i}", "author": "jdoe",
             "files": [{"filename": f"app/f{i}.rb", "status": "modified", "additions": 2, "deletions": 1}]}
            for i in range(6)
        ],
    )  # fmt: skip
    text = await WhatChanged(CONFIG, {"gitlab": gitlab_ci(emulators)}, FakeHistory()).run(
        asked(SlackThread("C1")), {"service": "shop", "from": shas[1], "to": shas[5]}
    )
    assert "4 commits" in text
    assert text.index("shop change 5") < text.index("shop change 2")
    assert "+8 −4" in text
    with pytest.raises(CommandError, match="is not a branch"):
        await WhatChanged(CONFIG, {"gitlab": gitlab_ci(emulators)}, FakeHistory()).run(
            asked(SlackThread("C1")), {"service": "shop", "from": "nope"}
        )
