"""ci_logs and what_changed on an in-memory forge: where they may read, what they say, their bounds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import OpsConfig
from bot.errors import CommandError, UpstreamRejected
from bot.investigation.ci_logs import CiLogs
from bot.investigation.compare_summary import summarise
from bot.investigation.forge_ports import ChangedCommit, ChangedFile, Comparison, FailedJob
from bot.investigation.looks import RESULT_LIMIT
from bot.investigation.what_changed import DeployPoint, WhatChanged
from bot.model import ChatMessage, GitHubThread, Person, Place, SlackThread
from tests.bot.investigation.fakes import FakeForgeCi, FakeHistory

CONFIG = OpsConfig.parse(
    {
        "services": {"api": {"github": "acme/api", "environments": ["staging", "production"]}},
        "environments": {"staging": {}, "production": {}},
    }
)
SHA = "b" * 40


def asked(place: Place) -> ChatMessage:
    return ChatMessage("m1", Person("slack", "U1"), place, "why?", "mention")


SLACK = SlackThread("C1", "1.0")
PR_THREAD = GitHubThread("acme/web", 7, True)


def failing(ci: FakeForgeCi, sha: str, lines: list[str]) -> None:
    ci.jobs[sha] = [
        FailedJob("9", "test", "CI", "failure", "https://github.com/acme/api/actions/runs/1/job/9", "Run tests")
    ]
    ci.logs["9"] = lines


async def test_ci_logs_on_a_pr_thread_reads_its_head_without_input() -> None:
    ci = FakeForgeCi(changes={7: SHA})
    failing(ci, SHA, ["setup", "npm ERR! test failed", "cleanup"])
    text = await CiLogs(CONFIG, {"github": ci}).run(asked(PR_THREAD), {})
    assert "acme/web" in text
    assert "#7" in text
    assert "npm ERR! test failed" in text
    assert "Run tests" in text
    assert ci.asked[0] == ("head", "acme/web")


async def test_ci_logs_in_slack_needs_a_service_from_ops_yaml() -> None:
    look = CiLogs(CONFIG, {"github": FakeForgeCi()})
    with pytest.raises(CommandError, match="Name the service"):
        await look.run(asked(SLACK), {})
    with pytest.raises(CommandError, match="no service called"):
        await look.run(asked(SLACK), {"service": "evil"})


async def test_ci_logs_with_no_failed_jobs_says_so() -> None:
    text = await CiLogs(CONFIG, {"github": FakeForgeCi()}).run(asked(SLACK), {"service": "api"})
    assert "no failed jobs" in text


async def test_a_bad_ref_is_refused_before_any_call() -> None:
    ci = FakeForgeCi()
    look = CiLogs(CONFIG, {"github": ci})
    for ref in ("../etc", "$(curl x)", "a..b", "https://evil.example/x"):
        with pytest.raises(CommandError):
            await look.run(asked(SLACK), {"service": "api", "ref": ref})
    assert ci.asked == []


async def test_an_unknown_ref_is_a_refusal_naming_it() -> None:
    with pytest.raises(CommandError, match="`nope` is not found"):
        await CiLogs(CONFIG, {"github": FakeForgeCi()}).run(asked(SLACK), {"service": "api", "ref": "nope"})


async def test_a_service_on_an_unconfigured_forge_is_refused() -> None:
    with pytest.raises(CommandError, match="no github credentials"):
        await CiLogs(CONFIG, {"gitlab": FakeForgeCi()}).run(asked(SLACK), {"service": "api"})


async def test_many_failed_jobs_with_huge_logs_stay_within_the_limit() -> None:
    ci = FakeForgeCi()
    ci.jobs["a" * 40] = [FailedJob(str(n), f"job {n}", "CI", "failure") for n in range(8)]
    for n in range(8):
        ci.logs[str(n)] = [f"line {i} error: thing {i % 50} broke " + "x" * 300 for i in range(5_000)]
    text = await CiLogs(CONFIG, {"github": ci}).run(asked(SLACK), {"service": "api"})
    assert len(text) <= RESULT_LIMIT
    assert "more failed" in text
    assert text.count("## CI / job") == 5


def commit(n: int, author: str = "alice") -> ChangedCommit:
    return ChangedCommit(f"{n:040x}", author, "2026-12-04T10:00:00Z", f"change number {n}\n\nbody")


def comparison(count: int, files: int = 3) -> Comparison:
    return Comparison(
        "1" * 40, "2" * 40, count, tuple(commit(n, f"dev{n % 7}") for n in range(count, 0, -1)),
        tuple(ChangedFile(f"src/mod{n}/file{n}.py", "modified", n, 1) for n in range(files)),
    )  # fmt: skip


def history() -> FakeHistory:
    return FakeHistory(
        {
            ("api", "production"): [
                DeployPoint("2" * 40, "main", 1_796_000_000.0, "U_ALICE"),
                DeployPoint("2" * 40, "main", 1_795_990_000.0, "U_ALICE"),  # the same commit again
                DeployPoint("1" * 40, "v1.2", 1_795_900_000.0, "github:bob"),
            ]
        }
    )


async def test_what_changed_between_the_two_last_deploys() -> None:
    ci = FakeForgeCi(comparisons={("1" * 40, "2" * 40): comparison(3)})
    text = await WhatChanged(CONFIG, {"github": ci}, history()).run(
        asked(SLACK), {"service": "api", "environment": "production"}
    )
    assert "running in production: 22222222 (main" in text
    assert "deployed before: 11111111 (v1.2" in text
    assert "github:bob" in text
    assert "3 commits" in text
    assert "change number 3" in text
    assert "src/" in text


async def test_what_changed_between_two_refs() -> None:
    ci = FakeForgeCi(comparisons={("v1", "v2"): comparison(2)})
    text = await WhatChanged(CONFIG, {"github": ci}, FakeHistory()).run(
        asked(SLACK), {"service": "api", "from": "v1", "to": "v2"}
    )
    assert "2 commits" in text
    assert "`v1`" in text
    assert "`v2`" in text


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({"service": "api"}, "Give an environment"),
        ({"service": "api", "environment": "staging"}, "no successful deploy"),
        ({"service": "api", "environment": "qa"}, "no environment `qa`"),
        ({"service": "api", "from": "v1;rm -rf"}, "`from` must be"),
        ({"service": "nope", "from": "v1"}, "no service called"),
        ({"service": "api", "from": "v1", "to": "v9"}, "is not a branch"),
    ],
)
async def test_what_changed_refusals(given: dict[str, Any], why: str) -> None:
    look = WhatChanged(CONFIG, {"github": FakeForgeCi()}, history())
    with pytest.raises(CommandError, match=why):
        await look.run(asked(SLACK), given)


async def test_a_forge_that_fails_is_an_upstream_error() -> None:
    class Down(FakeForgeCi):
        async def compare(self, repo: str, base: str, head: str) -> Comparison:
            raise UpstreamRejected("GitHub", "the token lacks a permission this needs", status=403)

    with pytest.raises(UpstreamRejected):
        await WhatChanged(CONFIG, {"github": Down()}, history()).run(
            asked(SLACK), {"service": "api", "environment": "production"}
        )


def test_a_500_commit_compare_is_summarised_within_the_limit() -> None:
    text = summarise(comparison(500, files=300), "api from a to b")
    assert len(text) <= RESULT_LIMIT
    assert "500 commits" in text
    assert "and 470 more" in text
    assert text.index("change number 500") < text.index("change number 499")  # newest first


names = st.text(min_size=1, max_size=80)


@given(
    st.lists(st.builds(ChangedCommit, names, names, names, st.text(max_size=400)), max_size=600),
    st.lists(
        st.builds(
            ChangedFile,
            st.text(min_size=1, max_size=300),
            st.sampled_from(["added", "modified"]),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        ),
        max_size=400,
    ),
    st.integers(min_value=0, max_value=10_000),
)
def test_any_compare_summary_is_bounded(commits: list[ChangedCommit], files: list[ChangedFile], extra: int) -> None:
    found = Comparison("a", "b", len(commits) + extra, tuple(commits), tuple(files))
    text = summarise(found, "range")
    assert len(text) <= RESULT_LIMIT
    for c in commits[:5]:
        assert c.sha[:8].split()[0] in text if c.sha.strip() else True
