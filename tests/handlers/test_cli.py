"""The CLI as operators run it: shell, check-config, serve on the embedded store."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.fakes import RecordingChat
from bot.model import ChatMessage, ConsoleThread, Person
from bot.settings import Settings
from handlers.app import build_runtime
from tests.harness import GITHUB_SECRET, OPS_CONFIG, Emulators, github_headers
from tests.processes import ROOT, opsbot, stop
from tests.redis_server import free_port
from tests.test_end_to_end import REPO, by_bot, posted, setup_github

EMBEDDED = "Nothing survives exit"


def shell(lines: str, env: dict[str, str] | None = None, *args: str) -> subprocess.CompletedProcess[str]:
    process = opsbot(["shell", *args], env or {}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(lines.encode(), timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out.decode(), err.decode())


def test_make_run_prints_the_help_and_exits_0() -> None:
    done = subprocess.run(
        ["make", "-s", "run"], input="/ops help\n", capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "/ops deploy <service>[@<ref>] to <env>" in done.stdout
    assert done.stderr.count(EMBEDDED) == 1


def test_the_shell_answers_commands_mentions_and_mistakes() -> None:
    done = shell("/ops help\n@opsbot help\nwhy is staging slow?\n/ops deploy api;rm -rf / to prod\n\n", {})
    assert done.returncode == 0
    assert done.stdout.count("• /ops deploy <service>[@<ref>] to <env> [--dry-run] — deploy a service") == 2
    assert "not configured" in done.stdout
    assert "Usage: `/ops deploy <service>[@<ref>] to <env> [--dry-run]`" in done.stdout
    assert done.stderr.count(EMBEDDED) == 1
    assert "Traceback" not in done.stderr


def test_the_shell_with_an_ops_yaml_loads_it_and_without_one_the_example(tmp_path: Path) -> None:
    mine = tmp_path / "ops.yaml"
    mine.write_text("services:\n  db:\n    github: acme/db\n    environments: [staging]\nenvironments:\n  staging:\n")
    found = opsbot(["shell"], {}, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in found.communicate(b"/ops deploy api to staging\n", timeout=60))
    assert found.returncode == 0, err
    assert out == "There is no service called `api` (known: db).\n"
    assert "example config" not in err
    mine.unlink()
    example = opsbot(["shell"], {}, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in example.communicate(b"/ops deploy db to staging\n", timeout=60))
    assert out == "There is no service called `db` (known: api, web).\n"
    assert "opsbot: no ops.yaml here: the example config is loaded" in err


def test_the_shell_names_the_problems_of_an_ops_yaml_that_does_not_read(tmp_path: Path) -> None:
    (tmp_path / "ops.yaml").write_text("services:\n  api:\n    environments: [nowhere]\n")
    done = opsbot(["shell"], {}, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in done.communicate(b"/ops help\n", timeout=60))
    assert done.returncode == 1
    assert out == ""
    assert "opsbot: ops.yaml: " in err
    assert "Traceback" not in err


def test_serve_and_worker_never_reach_the_sandbox() -> None:
    """What ``opsbot serve`` and ``opsbot worker`` build imports none of the console's sandbox."""
    script = (
        "import sys\n"
        "from bot.settings import Settings\n"
        "from handlers import cli\n"
        "from handlers.app import build_runtime, build_web_app, build_worker\n"
        f"runtime = build_runtime(Settings.from_env({{'OPSBOT_CONFIG': {str(OPS_CONFIG)!r}}}))\n"
        "build_web_app(runtime, run_worker=True)\n"
        "build_worker(runtime)\n"
        "print(sorted(m for m in sys.modules if m.startswith('handlers.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip()
    assert "'handlers.app'" in loaded  # the check looked where serve and worker get their parts
    assert "handlers.sandbox" not in loaded


async def test_a_runtime_built_as_serve_builds_it_has_no_forge_without_credentials() -> None:
    chat = RecordingChat()
    runtime = build_runtime(Settings.from_env({"OPSBOT_CONFIG": str(OPS_CONFIG)}), extra_chats={"console": chat})
    try:
        asked = ChatMessage("m-1", Person("console", "U_ALICE"), ConsoleThread("C"), "deploy api to staging", "slash")
        await runtime.chatops.handle(asked, redelivered=False, asked_at=0.0)
    finally:
        await runtime.close()
    assert chat.texts() == ["opsbot has no github credentials, so it can't deploy `api`."]


def test_check_config_lists_integrations_and_hides_secrets(tmp_path: Path, emulators: Emulators) -> None:
    config = tmp_path / "ops.yaml"
    config.write_text(
        "services:\n  api:\n    github: acme/api\n    environments: [staging]\nenvironments:\n  staging: {}\n"
    )
    env = {
        "OPSBOT_CONFIG": str(config),
        "GITHUB_WEBHOOK_SECRET": "very-secret-value",
        "GITHUB_TOKEN": "ghp_tokenvalue",
        "REDIS_URL": "redis://:hunter2@redis.internal:6379/0",
    }
    process = opsbot(["check-config"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in process.communicate(timeout=60))
    assert process.returncode == 0, err
    assert "1 services, 1 environments" in out
    assert "todos: mirror checklist, at most 10 todo issues per conversation" in out
    assert "memory writers: 0 (the deployers and approvers)" in out
    assert "github: webhook on, credentials token" in out
    assert "github redelivery: off (a GITHUB_TOKEN alone names no webhook: set GITHUB_WEBHOOK_HOOK_ID" in out
    assert "alerts: webhook off, 0 routes, default channel none, incidents for critical" in out
    assert "slack: off" in out
    for secret in ("very-secret-value", "ghp_tokenvalue", "hunter2"):
        assert secret not in out + err


def test_check_config_says_which_agent_tools_are_on_and_why_the_others_are_off(tmp_path: Path) -> None:
    config = tmp_path / "ops.yaml"
    config.write_text(
        "services:\n  api:\n    github: acme/api\n    environments: [staging]\n"
        "    kubernetes:\n      staging: {namespace: api-staging, deployment: api}\n"
        "environments:\n  staging: {}\n"
    )
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    env = {
        "OPSBOT_CONFIG": str(config),
        "PROMETHEUS_URL": "http://prometheus:9090",
        "PROMETHEUS_TOKEN": "prom-secret-token",
        "KUBECONFIG": str(kubeconfig),
    }
    process = opsbot(["check-config"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in process.communicate(timeout=60))
    assert process.returncode == 0, err
    assert "agent tools on: query_metrics, cluster_status" in out
    assert "  list_alerts: off (ALERTMANAGER_URL is not set)" in out
    assert "  ci_logs: off (no GitHub or GitLab credentials)" in out
    assert "prom-secret-token" not in out + err


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "pem"},
            "on, the App's webhook: deliveries refused in the last 3 h are asked for again after an outage",
        ),
        (
            {"GITHUB_TOKEN": "ghp_x", "GITHUB_WEBHOOK_HOOK_ID": "12", "GITHUB_WEBHOOK_HOOK_REPO": "acme/api"},
            "on, webhook 12 of acme/api (with GITHUB_TOKEN): deliveries refused in the last 3 h",
        ),
        (
            {"GITHUB_TOKEN": "ghp_x", "GITHUB_WEBHOOK_HOOK_ID": "7", "GITHUB_WEBHOOK_HOOK_ORG": "acme",
             "OPSBOT_GITHUB_REDELIVER_WINDOW": "1800"},
            "on, webhook 7 of acme (with GITHUB_TOKEN): deliveries refused in the last 0.5 h",
        ),
        (
            {"GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "pem", "OPSBOT_GITHUB_REDELIVER_WINDOW": "0"},
            "off (OPSBOT_GITHUB_REDELIVER_WINDOW is 0)",
        ),
    ],
    ids=["app", "repository-hook", "organisation-hook", "window-0"],
)  # fmt: skip
def test_check_config_says_whose_refused_webhooks_are_asked_for_again(env: dict[str, str], said: str) -> None:
    env = {"OPSBOT_CONFIG": str(OPS_CONFIG), "GITHUB_WEBHOOK_SECRET": "w", **env}
    process = opsbot(["check-config"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (part.decode() for part in process.communicate(timeout=60))
    assert process.returncode == 0, err
    [line] = [line for line in out.splitlines() if line.startswith("github redelivery: ")]
    assert said in line


def test_check_config_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    config = tmp_path / "ops.yaml"
    config.write_text("services:\n  api:\n    environments: [nowhere]\n")
    env = {"OPSBOT_CONFIG": str(config), "SLACK_BOT_TOKEN": "xoxb-1"}
    process = opsbot(["check-config"], env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = (part.decode() for part in process.communicate(timeout=60))
    assert process.returncode == 1
    problems = [line for line in err.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1  # settings problems stop before ops.yaml is read
    assert "SLACK_SIGNING_SECRET is missing" in problems[0]


def test_a_separate_worker_needs_redis() -> None:
    process = opsbot(["worker"], {}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert b"REDIS_URL" in err


def test_serve_on_the_embedded_store_answers_a_mention_with_no_redis(emulators: Emulators) -> None:
    port = free_port()
    env = {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "GITHUB_TOKEN": emulators.github.token,
        "GITHUB_API_URL": emulators.github.url,
        "OPSBOT_GITHUB_WRITE_INTERVAL": "0",
    }
    server = opsbot(["serve", "--port", str(port)], env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        number = setup_github(emulators)
        body = httpx.Request("POST", "/", json=posted(emulators, number, "@opsbot help")).read()
        response = httpx.post(f"{base}/github/webhook", content=body, headers=github_headers(body, "issue_comment"))
        assert response.status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not by_bot(emulators.github.comments(REPO, number)):
            time.sleep(0.05)
        assert len(by_bot(emulators.github.comments(REPO, number))) == 1
    finally:
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the parent sees it.
        assert stop(server) in (0, -15)
    assert server.stderr is not None
    with server.stderr:
        logs = server.stderr.read().decode()
    assert '"msg":"worker stopped"' in logs  # the lifespan's shutdown ran to the end
    assert logs.count(EMBEDDED) == 1
    assert GITHUB_SECRET not in logs


def test_memory_export_and_import_round_trip(redis_url: str, tmp_path: Path) -> None:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_url).flushall()  # the export is of everything: start from nothing
    env = {"REDIS_URL": redis_url}
    taught = shell(
        "/ops remember mistake never deploy api on fridays\n/ops remember context staging is eu-west-1\n", env
    )
    assert taught.stdout.count("Remembered") == 2
    backup = tmp_path / "memories.json"
    exported = opsbot(["memory", "export", str(backup)], env, stderr=subprocess.PIPE)
    exported.communicate(timeout=60)
    assert exported.returncode == 0
    saved = json.loads(backup.read_text())
    assert sorted(m["content"] for m in saved["memories"]) == ["never deploy api on fridays", "staging is eu-west-1"]
    sync_redis.Redis.from_url(redis_url).flushall()
    restored = opsbot(["memory", "import", str(backup)], env, stderr=subprocess.PIPE)
    _, err = restored.communicate(timeout=60)
    assert restored.returncode == 0
    assert b"imported 2 memories (0 already known)" in err
    listing = shell("/ops memories\n", env)
    assert "never deploy api on fridays" in listing.stdout
    assert "staging is eu-west-1" in listing.stdout


def test_memory_import_refuses_what_is_not_a_backup(redis_url: str, tmp_path: Path) -> None:
    bogus = tmp_path / "other.json"
    bogus.write_text('{"hello": "world"}')
    process = opsbot(["memory", "import", str(bogus)], {"REDIS_URL": redis_url}, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert b"not an opsbot memory backup" in err


def test_a_dry_run_in_the_console_checks_against_the_forge_and_creates_nothing(emulators: Emulators) -> None:
    emulators.github.add_repo("acme/api", branches={"main": "a" * 40, "v2": "b" * 40})
    env = {
        "OPSBOT_CONFIG": str(OPS_CONFIG),
        "GITHUB_TOKEN": emulators.github.token,
        "GITHUB_API_URL": emulators.github.url,
    }
    lines = "/ops deploy api@v2 to production --dry-run\n/ops deploy api@nope to staging --dry-run\n/ops status api\n"
    done = shell(lines, env, "--user", "U_ALICE")
    assert done.returncode == 0, done.stderr
    planned, refused, *status = done.stdout.splitlines()
    assert planned.startswith("🧪 Dry run: would deploy `api` `v2` (`bbbbbbb`) to `production`; needs an approval")
    assert "U_CAROL" in planned
    assert refused == "`nope` is not a branch, tag or commit of `acme/api`."
    assert "none yet" in status  # nothing was deployed
    assert any("deploy.dry_run production/api by U_ALICE: would deploy v2 (bbbbbbb)" in line for line in status)
    assert emulators.github.deployments("acme/api") == []
    assert emulators.github.requests_to("POST", r"/deployments") == []


def test_console_help_is_for_the_person_typing(emulators: Emulators) -> None:
    env = {"OPSBOT_CONFIG": str(OPS_CONFIG)}
    as_eve = shell("/ops help\n/ops help approve\n", env, "--user", "U_EVE").stdout
    as_alice = shell("/ops help\n", env, "--user", "U_ALICE").stdout
    deploy_line = "• /ops deploy <service>[@<ref>] to <env> [--dry-run] — deploy a service"
    [eve_deploys] = [line for line in as_eve.splitlines() if line.startswith(deploy_line)]
    [alice_deploys] = [line for line in as_alice.splitlines() if line.startswith(deploy_line)]
    assert "you may deploy to `staging` ·" in eve_deploys
    assert "you may deploy to `staging`, `production`" in alice_deploys
    # The console opens rooms of its own for incidents; it keeps lessons: it is the operator's own.
    assert "Not for you here: approve." in as_eve
    assert "• /ops incident declare" in as_eve
    assert as_eve.rstrip().endswith("You may not run it here.")
