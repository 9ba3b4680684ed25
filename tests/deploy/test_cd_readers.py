"""The two readings the CD template tests stand on follow GitHub's and GitLab's documented rules.

Were they wrong, the template tests could pass on a workflow or job that misbehaves for real:
so each rule the templates lean on is checked here against the documentation's own words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.actions_runner import Unsupported as UnsupportedInActions
from tests.deploy.actions_runner import condition, evaluate, interpolate, run_job
from tests.deploy.gitlab_ci import Unsupported as UnsupportedInGitLab
from tests.deploy.gitlab_ci import expand, rule_matches, variables_in

CONTEXT = {"github": {"event": {"deployment": {"id": 7, "payload": {"opsbot": {"service": "api"}}}}}}


def test_a_missing_property_is_null_and_an_object_is_true() -> None:
    assert evaluate("github.event.deployment.payload.nothing.here", CONTEXT) is None
    assert evaluate("github.event.deployment.payload.opsbot", CONTEXT) == {"service": "api"}
    assert condition("github.event.deployment.payload.opsbot", CONTEXT, "success", step=False)
    assert not condition("github.event.deployment.payload.other", CONTEXT, "success", step=False)
    assert interpolate("id-${{ github.event.deployment.id }}-${{ github.nothing }}", CONTEXT) == "id-7-"


def test_and_or_give_an_operand_and_not_negates() -> None:
    assert evaluate("github.event.deployment.id && github.event.deployment.payload.opsbot.service", CONTEXT) == "api"
    assert evaluate("github.nothing || github.event.deployment.id", CONTEXT) == 7
    assert evaluate("!github.nothing", CONTEXT) is True


@pytest.mark.parametrize("expression", ["github.a == 'x'", "contains(github.a, 'x')", "secrets.TOKEN", "github['a']"])
def test_what_it_does_not_understand_is_refused(expression: str) -> None:
    with pytest.raises(UnsupportedInActions):
        evaluate(expression, CONTEXT)


@pytest.mark.parametrize(
    ("if_", "status", "runs"),
    [
        (None, "success", True),
        (None, "failure", False),
        ("always()", "failure", True),
        ("always()", "cancelled", True),
        ("failure()", "failure", True),
        ("failure()", "success", False),
        ("cancelled()", "cancelled", True),
        ("github.event.deployment.id", "failure", False),  # an if without a status function means success() && …
        ("${{ github.event.deployment.id }}", "success", True),
    ],
)
def test_a_steps_if_reads_the_job_status_as_github_documents(if_: str | None, status: str, runs: bool) -> None:
    assert condition(if_ or "success()", CONTEXT, status, step=True) is runs


def test_a_failed_script_fails_the_job_and_skips_what_needs_success(tmp_path: Path) -> None:
    job = {
        "steps": [
            {"name": "breaks", "run": "false\necho not reached > reached"},
            {"name": "skipped", "run": "touch skipped"},
            {
                "name": "reports",
                "if": "always()",
                "env": {"STATUS": "${{ job.status }}"},
                "run": 'echo "$STATUS" > status',
            },
        ]
    }
    run = run_job(job, CONTEXT["github"], workdir=tmp_path, runner_env={"PATH": "/usr/bin:/bin"})
    assert (run.status, run.steps_run) == ("failure", ["breaks", "reports"])
    assert not (tmp_path / "reached").exists()  # bash -e stops at the first failing command
    assert (tmp_path / "status").read_text().strip() == "failure"


def test_gitlab_variables_are_true_when_set_and_not_empty() -> None:
    assert rule_matches("$A && $B", {"A": "1", "B": "x"})
    assert not rule_matches("$A && $B", {"A": "1", "B": ""})
    assert not rule_matches("$A && $B", {"A": "1"})
    assert rule_matches("$A || $B", {"B": "x"})
    assert rule_matches('$A == "production" && ($B || $C)', {"A": "production", "C": "1"})
    assert rule_matches("$A == null", {})
    assert rule_matches('${A} != "x"', {"A": "y"})


@pytest.mark.parametrize("expression", ["$A =~ /prod/", "$A < 1", "$A &&", "($A"])
def test_gitlab_expressions_it_does_not_understand_are_refused(expression: str) -> None:
    with pytest.raises(UnsupportedInGitLab):
        rule_matches(expression, {"A": "x"})


def test_gitlab_expansion_replaces_both_spellings() -> None:
    assert variables_in("opsbot-$A-${B_C}") == {"A", "B_C"}
    assert expand("opsbot-$A-${B_C}-$MISSING", {"A": "api", "B_C": "staging"}) == "opsbot-api-staging-"
