"""deploy/kubernetes: valid for the API server, true to opsbot, and consistent with itself."""

from __future__ import annotations

import copy
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.clients.kubernetes import RBAC_RULES
from bot.config import OpsConfig
from bot.jobs.ports import QueueDepth
from bot.settings import HttpLimits, WorkerTuning
from bot.telemetry.metrics import Metrics
from handlers.cli import HTTP_DRAIN_SECONDS
from handlers.web import MAX_BODY
from tests.deploy.common import DEPLOY, ROOT, cli_args, environment_names, yaml_documents
from tests.redis_server import free_port

Manifest = dict[str, Any]

KUBE = DEPLOY / "kubernetes"
# Shipped to be copied and filled in, never applied as it is.
EXAMPLES = frozenset({"secret.example.yaml"})
# The preStop sleep action is on by default from 1.30; the newest is what the validator bundles.
OLDEST = "1.30"
NEWEST = ".".join(kubernetes_validate.latest_version().split(".")[:2])
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
WEBHOOKS = frozenset({"/slack/events", "/github/webhook", "/gitlab/webhook", "/alertmanager/webhook"})
# What every Secret opsbot runs with in production may hold.
SECRET_NAMES = frozenset(
    {
        "REDIS_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "GITLAB_TOKEN",
        "GITLAB_WEBHOOK_SECRET",
        "ALERTMANAGER_WEBHOOK_TOKEN",
        "ANTHROPIC_API_KEY",
    }
)
# After its drain (uvicorn's connections, the worker's in-flight jobs) a process
# still closes its Redis and HTTP clients and hands jobs back; SIGKILL must wait for that.
CLOSING = 5


@cache
def kustomization() -> Manifest:
    return dict(yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8")))


def resource_files() -> list[str]:
    return [str(name) for name in kustomization()["resources"]]


def generated_files() -> list[str]:
    return [str(name) for gen in kustomization().get("configMapGenerator", []) for name in gen["files"]]


def transformer_files() -> list[str]:
    return [str(name) for name in kustomization().get("transformers", [])]


def opsbot_namespace() -> str:
    """Where the kustomization places what names no namespace of its own (its NamespaceTransformer)."""
    (path,) = transformer_files()
    (transformer,) = yaml_documents(KUBE / path)
    assert transformer["kind"] == "NamespaceTransformer"
    # Only blank namespaces: the RoleBindings must stay in the namespaces they grant reading in.
    assert transformer["unsetOnly"] is True
    return str(transformer["metadata"]["namespace"])


def manifests() -> Iterator[Manifest]:
    for name in resource_files():
        yield from yaml_documents(KUBE / name)


def secret_example() -> Manifest:
    (secret,) = yaml_documents(KUBE / "secret.example.yaml")
    return secret


def of_kind(kind: str) -> list[Manifest]:
    return [m for m in manifests() if m["kind"] == kind]


def deployment(component: str) -> Manifest:
    (found,) = [d for d in of_kind("Deployment") if d["spec"]["template"]["metadata"]["labels"][COMPONENT] == component]
    return found


def container(component: str) -> Manifest:
    (found,) = deployment(component)["spec"]["template"]["spec"]["containers"]
    return dict(found)


def selects(selector: Manifest, labels: Manifest) -> bool:
    assert set(selector) == {"matchLabels"}, "only matchLabels selectors are checked here"
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def port_number(owner: Manifest, ref: int | str) -> int:
    """The container port ``ref`` (a number or a port name) names; fails if the container has no such port."""
    ports = {p["name"]: p["containerPort"] for p in owner.get("ports", [])}
    if isinstance(ref, str):
        assert ref in ports, f"{owner['name']} has no port named {ref!r}"
        return int(ports[ref])
    assert ref in ports.values(), f"{owner['name']} does not listen on {ref}"
    return ref


def quantity(value: str | int) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?", str(value))
    assert match, f"not a quantity this check understands: {value!r}"
    scale = {None: 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[match[2]]
    return float(match[1]) * scale


def env_value(spec: Manifest, name: str) -> str | None:
    return next((str(e["value"]) for e in spec.get("env", []) if e["name"] == name), None)


# --- the files ---------------------------------------------------------------------------------------------


def test_every_file_is_applied_generated_or_an_example() -> None:
    listed = {*resource_files(), *generated_files(), *transformer_files()}
    present = {p.name for p in KUBE.iterdir()} - {"kustomization.yaml"}
    assert not listed - present, f"named in kustomization.yaml but missing: {sorted(listed - present)}"
    assert present == listed | EXAMPLES, f"neither applied nor a known example: {sorted(present - listed - EXAMPLES)}"
    # Applying the example would overwrite real tokens with placeholders.
    assert not EXAMPLES & listed


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_manifest_is_valid_for_kubernetes_in_strict_mode(version: str) -> None:
    documents = [*manifests(), secret_example()]
    assert {d["kind"] for d in documents} >= {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    for document in documents:
        # The validator falls back to older schemas it has; make sure it used the asked-for one.
        assert kubernetes_validate.validate(document, version, strict=True) == version


def test_strict_validation_rejects_a_misspelt_field() -> None:
    broken = copy.deepcopy(deployment("web"))
    probe = broken["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")
    broken["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = probe
    with pytest.raises(kubernetes_validate.ValidationError, match="readynessProbe"):
        kubernetes_validate.validate(broken, OLDEST, strict=True)


def test_the_ops_config_example_loads() -> None:
    config = OpsConfig.load(KUBE / "ops.yaml")
    assert config.services
    assert config.environments
    assert any(env.protected for env in config.environments.values())


def test_resources_carry_opsbot_labels_and_no_namespace_of_their_own() -> None:
    for manifest in [*manifests(), secret_example()]:
        metadata = manifest["metadata"]
        assert metadata["labels"][NAME] == "opsbot", metadata["name"]
        # The kustomization places everything; an overlay may choose another namespace.
        if manifest["kind"] != "RoleBinding":  # a binding lives in the namespace it grants reading in
            assert "namespace" not in metadata, metadata["name"]
    assert "namespace" not in kustomization(), "it would move the RoleBindings into opsbot's namespace"
    assert opsbot_namespace() == "opsbot"
    for name in ("web", "worker"):
        assert deployment(name)["metadata"]["labels"][COMPONENT] == name


def test_every_container_image_is_set_by_the_kustomization() -> None:
    images = {entry["name"]: entry for entry in kustomization()["images"]}
    for name in ("web", "worker"):
        entry = images[container(name)["image"]]
        assert entry["newName"]
        assert entry["newTag"], "pin a tag so every pod of a rollout runs the same code"


# --- the containers ------------------------------------------------------------------------------------------


def test_the_web_container_runs_opsbot_serve_on_its_container_port() -> None:
    web = container("web")
    args = cli_args(web["args"])
    assert args.command == "serve"
    # The kubelet's probes and the Service reach the pod on its own address, not on loopback.
    assert ipaddress.ip_address(args.host).is_unspecified
    assert not args.worker, "workers run in their own Deployment"
    assert port_number(web, "http") == args.port


def test_the_worker_container_runs_opsbot_worker() -> None:
    assert cli_args(container("worker")["args"]).command == "worker"


def test_containers_set_only_variables_opsbot_reads() -> None:
    known = environment_names()
    for name in ("web", "worker"):
        spec = container(name)
        names = {e["name"] for e in spec.get("env", [])}
        assert names <= known, f"{name}: unknown {sorted(names - known)}"
        assert spec["envFrom"] == [{"secretRef": {"name": secret_example()["metadata"]["name"]}}]


def test_the_secret_example_names_real_variables() -> None:
    keys = set(secret_example()["stringData"])
    assert keys <= environment_names(), f"unknown {sorted(keys - environment_names())}"
    assert keys >= SECRET_NAMES, f"missing {sorted(SECRET_NAMES - keys)}"


def test_the_config_file_is_the_generated_configmap_mounted_read_only() -> None:
    (generator,) = kustomization()["configMapGenerator"]
    for name in ("web", "worker"):
        spec = container(name)
        path = Path(env_value(spec, "OPSBOT_CONFIG") or "")
        (mount,) = [m for m in spec["volumeMounts"] if Path(m["mountPath"]) == path.parent]
        assert mount.get("readOnly") is True
        (volume,) = [v for v in deployment(name)["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]]
        assert volume["configMap"]["name"] == generator["name"]
        assert path.name in generator["files"], f"{name}: {path} is not a key of the generated ConfigMap"


def test_web_probes_ask_healthz_and_readyz_on_the_container_port() -> None:
    web = container("web")
    port = port_number(web, "http")
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "startupProbe", "readinessProbe"):
        assert port_number(web, web[probe]["httpGet"]["port"]) == port


def test_the_worker_has_no_http_to_probe() -> None:
    worker = container("worker")
    assert "ports" not in worker
    assert "livenessProbe" not in worker, "a Redis outage must not restart every worker"
    assert "httpGet" not in worker["readinessProbe"]


def _run_probe(command: list[str], redis_url: str | None, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # The image's PATH starts with /opt/opsbot/bin, so its `python` is the one opsbot is installed in: this one.
    assert command[0] == "python"
    env = {"PATH": os.environ["PATH"], "PYTHONWARNINGS": "error"}
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    timeout = container("worker")["readinessProbe"]["timeoutSeconds"]
    return subprocess.run([sys.executable, *command[1:]], env=env, cwd=cwd, capture_output=True, timeout=timeout)


def test_the_worker_readiness_probe_answers_whether_redis_is_reachable(redis_url: str, tmp_path: Path) -> None:
    command = container("worker")["readinessProbe"]["exec"]["command"]
    reachable = _run_probe(command, redis_url, tmp_path)
    assert reachable.returncode == 0, reachable.stderr.decode()
    assert _run_probe(command, f"redis://127.0.0.1:{free_port()}/0", tmp_path).returncode != 0
    assert _run_probe(command, None, tmp_path).returncode != 0


def test_pods_and_containers_run_restricted() -> None:
    image_user = re.search(r"^USER (\d+)(?::(\d+))?$", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    assert image_user, "the image names its user by number, so runAsNonRoot can check it"
    uid = int(image_user[1])
    # The image's group when it names one; any but root's otherwise.
    groups = range(int(image_user[2]), int(image_user[2]) + 1) if image_user[2] else range(1, 2**31)
    for name in ("web", "worker"):
        pod = deployment(name)["spec"]["template"]["spec"]
        # The agent's cluster_status reads the cluster as opsbot's ServiceAccount (read-only, see rbac.yaml).
        assert pod["automountServiceAccountToken"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid
        assert pod["securityContext"]["runAsGroup"] in groups
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for spec in pod["containers"]:
            context = spec["securityContext"]
            assert context["runAsNonRoot"] is True
            assert context["runAsUser"] == uid
            assert context["runAsGroup"] in groups
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            (tmp,) = [m for m in spec["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108 - the container's
            (volume,) = [v for v in pod["volumes"] if v["name"] == tmp["name"]]
            assert "emptyDir" in volume, "the root filesystem is read-only; /tmp must be writable"


def test_every_container_requests_and_limits_cpu_and_memory() -> None:
    for name in ("web", "worker"):
        resources = container(name)["resources"]
        for kind in ("cpu", "memory"):
            requested, limit = quantity(resources["requests"][kind]), quantity(resources["limits"][kind])
            assert 0 < requested <= limit, f"{name} {kind}"


# --- shutdown ---------------------------------------------------------------------------------------------------


def test_the_web_pod_outlasts_the_pre_stop_sleep_and_uvicorns_drain() -> None:
    pod = deployment("web")["spec"]["template"]["spec"]
    sleep = container("web")["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert sleep > 0
    assert pod["terminationGracePeriodSeconds"] >= sleep + HTTP_DRAIN_SECONDS + CLOSING


def test_the_worker_pod_outlasts_the_in_flight_jobs_grace() -> None:
    pod = deployment("worker")["spec"]["template"]["spec"]
    stop_grace = float(env_value(container("worker"), "OPSBOT_STOP_GRACE") or WorkerTuning().stop_grace)
    assert pod["terminationGracePeriodSeconds"] >= stop_grace + CLOSING


# --- how the objects find each other ----------------------------------------------------------------------------


def test_the_service_sends_traffic_to_the_web_containers_port() -> None:
    (service,) = of_kind("Service")
    selector = {"matchLabels": service["spec"]["selector"]}
    assert selects(selector, deployment("web")["spec"]["template"]["metadata"]["labels"])
    assert not selects(selector, deployment("worker")["spec"]["template"]["metadata"]["labels"])
    (port,) = service["spec"]["ports"]
    assert port_number(container("web"), port["targetPort"]) == cli_args(container("web")["args"]).port


def test_the_ingress_publishes_the_webhooks_only() -> None:
    (ingress,) = of_kind("Ingress")
    (service,) = of_kind("Service")
    service_ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    routed: set[str] = set()
    hosts = {tls_host for tls in ingress["spec"]["tls"] for tls_host in tls["hosts"]}
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in hosts, "every host is served over TLS"
        for path in rule["http"]["paths"]:
            routed.add(path["path"])
            assert path["pathType"] == "Exact", "a Prefix would publish whatever lies below"
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"]
            port = backend["port"]
            assert port.get("name") in service_ports or port.get("number") in service_ports.values()
    assert routed == WEBHOOKS


def test_the_disruption_budgets_cover_each_deployment_once() -> None:
    deployments = of_kind("Deployment")
    covered: list[str] = []
    for budget in of_kind("PodDisruptionBudget"):
        (target,) = [
            d["metadata"]["name"]
            for d in deployments
            if selects(budget["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        covered.append(target)
    assert sorted(covered) == sorted(d["metadata"]["name"] for d in deployments)


def test_the_autoscaler_drives_the_worker_deployment() -> None:
    (hpa,) = of_kind("HorizontalPodAutoscaler")
    worker = deployment("worker")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
    assert target["name"] == worker["metadata"]["name"]
    assert "replicas" not in worker["spec"], "kubectl apply would undo the autoscaler's count"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # Every scale-down cuts in-flight jobs short, so it waits out bursts.
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300
    for metric in hpa["spec"]["metrics"]:
        if metric["type"] == "Resource":
            assert metric["resource"]["name"] in container("worker")["resources"]["requests"]


def test_metrics_named_in_the_manifests_are_ones_opsbot_exports() -> None:
    exposition = Metrics().render(QueueDepth(ready=1, in_flight=2, delayed=3), {}).decode()
    families = set(re.findall(r"^# TYPE (\S+)", exposition, re.MULTILINE))
    mentioned = [
        match
        for path in KUBE.iterdir()
        for match in re.finditer(r"\b(opsbot_[a-z_]+)(\{[^}]*\})?", path.read_text(encoding="utf-8"))
    ]
    assert mentioned, "the autoscaler's notes name the queue-depth metric"
    for match in mentioned:
        assert match[1] in families, f"{match[1]} is not a metric opsbot exports"
        if match[2]:
            assert f"\n{match[0]} " in exposition, f"{match[0]} is not a series opsbot exports"


def test_network_policies_admit_only_the_web_port() -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind("NetworkPolicy")}
    for name in ("web", "worker"):
        labels = deployment(name)["spec"]["template"]["metadata"]["labels"]
        (spec,) = [s for s in policies.values() if selects(s["podSelector"], labels)]
        assert spec["policyTypes"] == ["Ingress"]
        if name == "worker":
            assert not spec.get("ingress"), "nothing connects to a worker"
        else:
            (rule,) = spec["ingress"]
            assert [port_number(container("web"), p["port"]) for p in rule["ports"]] == [8080]


# --- the kustomize build, where a kustomize is installed ---------------------------------------------------------


def _kustomize() -> list[str] | None:
    if found := shutil.which("kustomize"):
        return [found, "build"]
    if found := shutil.which("kubectl"):
        return [found, "kustomize"]
    return None


def test_the_kustomize_build_is_valid_and_wires_the_generated_config() -> None:
    command = _kustomize()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run([*command, str(KUBE)], capture_output=True, check=True, timeout=60, text=True).stdout
    documents = [d for d in yaml.safe_load_all(built) if d]
    assert len(documents) == len(list(manifests())) + 1  # the generated ConfigMap
    (config_map,) = [d for d in documents if d["kind"] == "ConfigMap"]
    assert config_map["metadata"]["name"].startswith("opsbot-config-"), "a content hash rolls the pods"
    assert config_map["data"] == {"ops.yaml": (KUBE / "ops.yaml").read_text(encoding="utf-8")}
    (entry,) = kustomization()["images"]
    for document in documents:
        assert kubernetes_validate.validate(document, OLDEST, strict=True) == OLDEST
        if document["kind"] == "RoleBinding":
            assert document["metadata"]["namespace"] in workload_namespaces()
        elif document["kind"] not in ("Namespace", "ClusterRole"):
            assert document["metadata"]["namespace"] == opsbot_namespace()
        if document["kind"] == "Deployment":
            pod = document["spec"]["template"]["spec"]
            assert {v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v} == {
                config_map["metadata"]["name"]
            }
            assert {c["image"] for c in pod["containers"]} == {f"{entry['newName']}:{entry['newTag']}"}


def test_the_ingress_limits_slow_and_greedy_clients_in_line_with_the_server() -> None:
    (ingress,) = of_kind("Ingress")
    annotations = ingress["metadata"]["annotations"]
    nginx = {k.removeprefix("nginx.ingress.kubernetes.io/"): v for k, v in annotations.items()}
    assert all(isinstance(v, str) for v in nginx.values()), "annotation values are strings"
    assert nginx["proxy-body-size"] == f"{MAX_BODY // (1024 * 1024)}m"
    assert nginx["proxy-request-buffering"] == "on", "a trickling body stays at the proxy"
    assert 0 < int(nginx["limit-connections"]) <= HttpLimits().max_connections
    for timeout in ("proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout"):
        assert 0 < int(nginx[timeout]) <= HttpLimits().body_timeout


# --- what the agent may read in the cluster ------------------------------------------------------------------


def workload_namespaces() -> set[str]:
    config = OpsConfig.load(KUBE / "ops.yaml")
    return {w.namespace for service in config.services.values() for w in service.kubernetes.values()}


def test_the_cluster_role_grants_exactly_what_the_client_calls() -> None:
    (role,) = of_kind("ClusterRole")
    granted = [
        (group, resource, tuple(rule["verbs"]))
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    ]
    assert sorted(granted) == sorted(RBAC_RULES), "the Role and bot/clients/kubernetes.py's RBAC_RULES differ"
    assert not [g for g in granted if "*" in (g[0], g[1], *g[2])], "no wildcard"
    assert set(rule_keys for rule in role["rules"] for rule_keys in rule) == {"apiGroups", "resources", "verbs"}


def test_every_namespace_of_the_example_ops_config_has_a_binding_for_opsbot() -> None:
    (role,) = of_kind("ClusterRole")
    (account,) = of_kind("ServiceAccount")
    bindings = of_kind("RoleBinding")
    assert workload_namespaces(), "the example names where its services run"
    assert {b["metadata"]["namespace"] for b in bindings} == workload_namespaces()
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": role["metadata"]["name"],
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": opsbot_namespace()}
        ]
    assert not of_kind("ClusterRoleBinding"), "reading is granted per namespace, never cluster-wide"
