"""cluster_status is offered only when ops.yaml names a workload and a client configuration is found."""

from __future__ import annotations

from pathlib import Path

from bot.config import OpsConfig, Service, Workload
from bot.settings import Settings
from handlers.looks_cluster import cluster_looks

PLACED = OpsConfig(
    services={"api": Service("api", ("staging",), kubernetes={"staging": Workload("api-staging", "api")})}
)
UNPLACED = OpsConfig(services={"api": Service("api", ("staging",))})
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def settings(kubeconfig: Path) -> Settings:
    return Settings.from_env({"KUBECONFIG": str(kubeconfig)})


def test_a_kubeconfig_and_a_placed_workload_offer_cluster_status(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    (look,) = cluster_looks(settings(path), PLACED)
    assert look.spec.name == "cluster_status"
    assert look.spec.required == ("service", "environment")


def test_no_workload_in_ops_yaml_offers_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    assert cluster_looks(settings(path), UNPLACED) == []


def test_a_kubeconfig_that_is_not_there_offers_nothing(tmp_path: Path) -> None:
    assert cluster_looks(settings(tmp_path / "missing"), PLACED) == []
