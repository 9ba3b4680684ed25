"""deploy/compose.yaml and deploy/env.example: true to opsbot and to the image.

There is no Docker engine where the suite runs, so the file is read as YAML
(merge keys resolved, as Compose does) and held to what opsbot and its image
need. Where the Compose CLI plugin is installed, ``docker compose config``
validates it too.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from pathlib import Path
from typing import Any

from bot.settings import Settings
from handlers.cli import HTTP_DRAIN_SECONDS
from tests.deploy.common import ALSO_READ, DEPLOY, ROOT, cli_args, environment_names, yaml_documents
from tests.deploy.test_image import EXACT_IMAGE, healthcheck, seconds

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
OPSBOT = ("web", "worker")
# After its drain a process still closes its Redis and HTTP clients and hands
# jobs back; SIGKILL must wait for that too.
CLOSING = 5
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")

Service = dict[str, Any]


@cache
def compose() -> dict[str, Any]:
    (document,) = yaml_documents(COMPOSE)
    return document


def service(name: str) -> Service:
    found: Service = compose()["services"][name]
    return found


def from_compose_dir(path: str) -> Path:
    """A relative path in compose.yaml, resolved as Compose does: from the file's directory."""
    return (COMPOSE.parent / path).resolve()


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(set, shown): the example's plain assignments, and its commented ``# NAME=value`` ones."""
    set_: dict[str, str] = {}
    shown: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            (shown if match.group(1) else set_)[match.group(2)] = match.group(3)
    return set_, shown


def test_redis_keeps_its_data_with_aof_on_a_named_volume() -> None:
    redis = service("redis")
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    (data,) = [v for v in redis["volumes"] if isinstance(v, str) and v.endswith(":/data")]
    volume = data.split(":")[0]
    assert volume in compose()["volumes"], "a named volume, so `down` and rebuilds keep the data"
    assert EXACT_IMAGE.match(redis["image"]), f"{redis['image']} is not an exact release"
    assert "ports" not in redis, "only opsbot's containers reach Redis"
    assert "PONG" in " ".join(redis["healthcheck"]["test"])


def test_web_and_workers_run_the_one_image_built_from_the_dockerfile() -> None:
    images = {service(name)["image"] for name in OPSBOT}
    assert len(images) == 1
    builders = [name for name in OPSBOT if "build" in service(name)]
    assert builders == ["web"], "built once; the workers use what web built"
    build = service("web")["build"]
    context = from_compose_dir(build["context"])
    assert context == ROOT
    assert (context / build.get("dockerfile", "Dockerfile")).is_file()
    assert service("web")["pull_policy"] == "build"


def test_two_workers_by_default() -> None:
    worker = service("worker")
    assert worker["deploy"]["replicas"] == 2
    # `--scale worker=N` needs containers compose may name itself.
    assert "container_name" not in worker
    assert "scale" not in worker


def test_commands_are_the_real_cli() -> None:
    web = cli_args(service("web")["command"])
    assert web.command == "serve"
    assert ipaddress.ip_address(web.host).is_unspecified  # every interface of the container
    assert not web.worker, "the workers run the jobs"
    assert any(str(port).endswith(f":{web.port}") for port in service("web")["ports"])
    assert cli_args(service("worker")["command"]).command == "worker"


def test_environment_names_are_ones_opsbot_reads() -> None:
    for name in OPSBOT:
        unknown = set(service(name)["environment"]) - environment_names()
        assert not unknown, f"{name}: opsbot reads no {sorted(unknown)}"
    assert service("web")["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_the_env_file_is_the_git_ignored_dot_env_the_example_documents() -> None:
    for name in OPSBOT:
        assert from_compose_dir(service(name)["env_file"]) == ROOT / ".env"
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "/.env"} & set(gitignore), ".env holds secrets and must stay out of git"
    assert ENV_EXAMPLE.is_file()


def test_env_example_lists_every_variable_opsbot_reads_and_no_other() -> None:
    set_, shown = env_example()
    listed = set(set_) | set(shown)
    assert listed <= environment_names(), f"opsbot reads no {sorted(listed - environment_names())}"
    missing = environment_names() - ALSO_READ - listed
    assert not missing, f"env.example doesn't mention {sorted(missing)}"


def test_env_example_as_shipped_is_valid_and_its_defaults_are_true() -> None:
    set_, shown = env_example()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert "#" not in line, f"a comment after a value is part of the value for `docker run`: {line}"
    assert all(value == "" for value in set_.values()), "secrets are filled in by the operator"
    Settings.from_env(set_)
    # Commented lines show what opsbot does unset, except the ones compose sets.
    set_by_compose = {k: str(v) for k, v in service("web")["environment"].items()}
    for name, value in shown.items():
        if name in set_by_compose:
            assert value == set_by_compose[name], f"{name}: env.example says {value}, compose.yaml sets another"
    defaults = {k: v for k, v in shown.items() if k not in set_by_compose}
    assert Settings.from_env(defaults) == Settings.from_env({}), "a commented default is not opsbot's default"


def test_ops_yaml_is_mounted_read_only_where_opsbot_config_points() -> None:
    for name in OPSBOT:
        config = service(name)["environment"]["OPSBOT_CONFIG"]
        (mount,) = [v for v in service(name)["volumes"] if isinstance(v, dict) and v["target"] == config]
        assert mount["type"] == "bind"
        assert mount["read_only"] is True
        assert from_compose_dir(mount["source"]) == ROOT / "ops.yaml"
        # A missing file is an error, not an empty directory made in its place.
        assert mount["bind"]["create_host_path"] is False


def test_opsbot_containers_are_locked_down() -> None:
    for name in OPSBOT:
        svc = service(name)
        assert svc["read_only"] is True
        assert "/tmp" in svc["tmpfs"]  # noqa: S108 - the container's own, a fresh tmpfs
        assert svc["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in svc["security_opt"]
        assert svc["init"] is True


def test_everything_restarts_and_waits_for_a_healthy_redis() -> None:
    for name, svc in compose()["services"].items():
        assert svc["restart"] == "unless-stopped", name
    for name in OPSBOT:
        assert service(name)["depends_on"]["redis"]["condition"] == "service_healthy"


def test_stop_grace_outlasts_each_process_drain() -> None:
    web = seconds(service("web")["stop_grace_period"])
    assert web >= HTTP_DRAIN_SECONDS + CLOSING
    worker = seconds(service("worker")["stop_grace_period"])
    assert worker >= Settings.from_env({}).worker.stop_grace + CLOSING


def test_web_is_health_checked_with_the_images_check_and_workers_are_not() -> None:
    check = service("web")["healthcheck"]
    assert check["test"] == ["CMD", *healthcheck().command]
    for option in ("interval", "timeout", "start_period"):
        assert seconds(check[option]) == seconds(healthcheck().options[option.replace("_", "-")])
    assert service("worker")["healthcheck"] == {"disable": True}


def test_logs_are_rotated() -> None:
    for name, svc in compose()["services"].items():
        assert svc["logging"]["options"]["max-size"], name
