"""ops.yaml: the contract's example loads; mistakes are listed all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import OpsConfig
from bot.errors import ConfigError

CONTRACT_EXAMPLE = """
services:
  api:
    github: acme/api            # or  gitlab: acme/api  (path or numeric id)
    environments: [staging, production]
environments:
  staging: {}
  production:
    protected: true             # needs an approval by someone other than the requester
    deployers: [U_ALICE, github:octocat, gitlab:jdoe]   # who may ask; absent = anyone allowed on the repo
    approvers: [U_CAROL, github:hubot]
todos:
  mirror: checklist             # checklist (one tracking comment) | issues (one issue per todo)
  repo: acme/ops                # where todos from Slack conversations are mirrored
incidents:
  tracking_repo: acme/ops
"""


def test_the_contract_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "ops.yaml"
    path.write_text(CONTRACT_EXAMPLE)
    config = OpsConfig.load(path)
    assert config.services["api"].github == "acme/api"
    assert config.services["api"].environments == ("staging", "production")
    production = config.environments["production"]
    assert production.protected
    assert production.deployers == ("U_ALICE", "github:octocat", "gitlab:jdoe")
    assert production.approvers == ("U_CAROL", "github:hubot")
    assert config.environments["staging"].deployers is None
    assert (config.todo_mirror, config.todo_repo, config.incident_repo) == ("checklist", "acme/ops", "acme/ops")


def test_every_problem_is_reported_together() -> None:
    raw = {
        "services": {
            "api;rm": {"github": "acme/api", "environments": ["staging"]},
            "web": {"environments": ["nowhere"]},
        },
        "environments": {"production": {"protected": True, "deployers": ["alice"]}},
        "todos": {"mirror": "wiki", "repo": "../etc"},
    }
    with pytest.raises(ConfigError) as caught:
        OpsConfig.parse(raw)
    text = "\n".join(caught.value.problems)
    for fragment in (
        "services.api;rm",
        "exactly one of github: or gitlab:",
        "'nowhere' is not defined",
        "'alice' is not a Slack user id",
        "lists no approvers",
        "todos.mirror",
        "todos.repo",
    ):
        assert fragment in text


def test_no_file_means_an_empty_config() -> None:
    assert OpsConfig.load(None).services == {}


def test_who_may_ask_the_agent_on_the_forges() -> None:
    assert OpsConfig.parse({}).agent_allow == "collaborators"
    assert OpsConfig.parse({"agent": {"allow": "anyone"}}).agent_allow == "anyone"
    listed = OpsConfig.parse({"agent": {"allow": ["github:octocat", "gitlab:alice"]}}).agent_allow
    assert listed == ("github:octocat", "gitlab:alice")
    for wrong in ("everyone", ["U_ALICE"], ["octocat"], 3):
        with pytest.raises(ConfigError, match=r"agent\.allow"):
            OpsConfig.parse({"agent": {"allow": wrong}})


def test_how_many_todo_issues_a_conversation_may_open() -> None:
    assert OpsConfig.parse({}).max_todo_issues == 10
    assert OpsConfig.parse({"agent": {"max_todo_issues": 3}}).max_todo_issues == 3
    for wrong in (0, -1, "ten", True, 2.5):
        with pytest.raises(ConfigError, match=r"agent\.max_todo_issues"):
            OpsConfig.parse({"agent": {"max_todo_issues": wrong}})


def test_who_may_teach_the_team_from_slack() -> None:
    environments = {
        "staging": {},
        "production": {"protected": True, "deployers": ["U_ALICE"], "approvers": ["U_CAROL", "github:hubot"]},
    }
    assert OpsConfig.parse({"environments": environments}).writers == {"U_ALICE", "U_CAROL", "github:hubot"}
    listed = OpsConfig.parse({"environments": environments, "memory": {"writers": ["U_DAVE"]}})
    assert listed.writers == {"U_DAVE"}
    assert OpsConfig.parse({"memory": {"writers": []}}).writers == frozenset()
    for wrong in ({"writers": "U_DAVE"}, {"writers": ["dave"]}, ["U_DAVE"]):
        with pytest.raises(ConfigError, match=r"memory"):
            OpsConfig.parse({"memory": wrong})


def test_the_alerts_section_reads_routes_in_order_and_its_defaults() -> None:
    config = OpsConfig.parse(
        {
            "alerts": {
                "routes": [
                    {"match": {"service": "api", "env": "production"}, "channel": "C_API"},
                    {"match": {"team": "db"}, "channel": "C_DB"},
                ],
                "default_channel": "C_ALERTS",
                "service_label": "app",
            }
        }
    )
    alerts = config.alerts
    assert [(r.match, r.channel) for r in alerts.routes] == [
        ({"service": "api", "env": "production"}, "C_API"),
        ({"team": "db"}, "C_DB"),
    ]
    assert alerts.default_channel == "C_ALERTS"
    assert alerts.incident_severities == ("critical",)
    assert alerts.service_label == "app"
    assert OpsConfig.parse({}).alerts.service_label == "service"
    assert OpsConfig.parse({}).alerts.default_channel is None


def test_silencers_default_to_the_deployers_and_approvers() -> None:
    environments = {"production": {"protected": True, "deployers": ["U_ALICE"], "approvers": ["U_CAROL"]}}
    assert OpsConfig.parse({"environments": environments}).silencers == {"U_ALICE", "U_CAROL"}
    listed = OpsConfig.parse({"environments": environments, "alerts": {"silencers": ["U_DAVE"]}})
    assert listed.silencers == {"U_DAVE"}
    assert OpsConfig.parse({"alerts": {"silencers": []}}).silencers == frozenset()


@pytest.mark.parametrize(
    ("alerts", "complaint"),
    [
        ({"routes": [{"match": {"service": "api"}, "channel": "#api"}]}, r"routes\[1\]\.channel"),
        ({"routes": [{"match": {"service": 1}, "channel": "C_API"}]}, r"must be strings"),
        ({"routes": [{"match": {}, "channel": "C_API"}]}, r"non-empty mapping"),
        ({"routes": [{"match": {"a": "b"}, "channel": "C_API", "continue": True}]}, r"unknown key 'continue'"),
        ({"routes": {"match": {"a": "b"}}}, r"routes must be a list"),
        ({"default_channel": "alerts"}, r"default_channel"),
        ({"incident_severities": "critical"}, r"incident_severities"),
        ({"silencers": ["carol"]}, r"silencers"),
        ({"service_label": ""}, r"service_label"),
        ({"route": []}, r"unknown key 'route'"),
        (["C_ALERTS"], r"alerts must be a mapping"),
    ],
)
def test_a_wrong_alerts_section_is_refused_saying_where(alerts: object, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        OpsConfig.parse({"alerts": alerts})


def _service(**extra: object) -> dict[str, object]:
    return {
        "services": {"api": {"github": "acme/api", "environments": ["staging", "production"], **extra}},
        "environments": {"staging": {}, "production": {}},
    }


def test_where_the_agent_looks_for_a_service_metrics_and_workloads() -> None:
    plain = OpsConfig.parse(_service()).services["api"]
    assert plain.metrics == {"service": "api"}  # the contract's default
    assert plain.kubernetes == {}
    configured = OpsConfig.parse(
        _service(
            metrics={"job": "api", "team": "payments"},
            kubernetes={
                "staging": {"namespace": "api-staging", "deployment": "api"},
                "production": {"namespace": "api", "deployment": "api-web"},
            },
        )
    ).services["api"]
    assert configured.metrics == {"job": "api", "team": "payments"}
    assert configured.kubernetes["production"].namespace == "api"
    assert configured.kubernetes["production"].deployment == "api-web"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"metrics": {"bad-label": "x"}}, "is not a Prometheus label"),
        ({"metrics": []}, "must be a non-empty mapping"),
        ({"kubernetes": {"qa": {"namespace": "qa", "deployment": "api"}}}, "not one of the service's environments"),
        ({"kubernetes": {"staging": {"namespace": "api"}}}, "needs exactly namespace: and deployment:"),
        ({"kubernetes": {"staging": {"namespace": "Api_Staging", "deployment": "api"}}}, "are not Kubernetes names"),
        ({"kubernetes": {"staging": {"namespace": "a.b", "deployment": "api"}}}, "are not Kubernetes names"),
    ],
)
def test_a_wrong_metrics_or_kubernetes_entry_is_named(extra: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        OpsConfig.parse(_service(**extra))
    assert any(problem in p for p in raised.value.problems), raised.value.problems
