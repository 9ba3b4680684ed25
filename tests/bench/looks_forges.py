"""ci_logs on a 50 MB job log and what_changed on a 500-commit compare, through the GitHub emulator over HTTP.

The backend's time is the same HTTP reads done directly with requests (the run and job
lists, the log's redirect and blob, the compare's pages); the look's is the whole tool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import requests

from bot.clients.github import GitHubConnector
from bot.clients.github_ci import GitHubCi
from bot.config import OpsConfig
from bot.investigation.ci_logs import CiLogs
from bot.investigation.what_changed import WhatChanged
from bot.model import ChatMessage, Person, SlackThread
from tests.bench.looks import LookMeasure, emulator_tokens
from tests.bot.investigation.fakes import FakeHistory
from tests.emulators import GitHubEmulator
from tests.emulators.github_actions import log_text

ROUNDS = 3
LOG_BYTES = 50 * 1024 * 1024
CONFIG = OpsConfig.parse(
    {"services": {"api": {"github": "acme/api", "environments": ["prod"]}}, "environments": {"prod": {}}}
)
ASKED = ChatMessage("bench", Person("slack", "U1"), SlackThread("C1"), "why?", "mention")


def _big_log() -> str:
    lines: list[str] = []
    size, i = 0, 0
    while size < LOG_BYTES:
        line = f"[{i:08d}] compiling src/module_{i % 977}/file_{i % 31}.c -O2 -Wall -Werror -fPIC" + (
            f" error: undefined symbol sym_{i % 13}" if i % 50_000 == 0 else ""
        )
        lines.append(line)
        size += len(line) + 30
        i += 1
    return log_text(lines)


def _best(run: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best * 1000, result


def measure_forge_looks() -> list[LookMeasure]:
    with GitHubEmulator() as github:
        github.add_repo("acme/api")
        sha = "c" * 40
        run = github.add_workflow_run("acme/api", sha)
        github.add_job(run, "build", log=_big_log())
        shas = github.add_commits(
            "acme/api",
            [{"message": f"change {n}", "author": f"dev{n % 40}",
              "files": [{"filename": f"svc{n % 25}/pkg/f{n}.py", "status": "modified", "additions": n % 90,
                         "deletions": 3}]} for n in range(501)],
        )  # fmt: skip
        headers = {"Authorization": f"token {github.token}"}
        api = f"{github.url}/repos/acme/api"
        ci = GitHubCi(GitHubConnector(github.url, token=github.token, write_interval=None))
        github.add_issue("acme/api", 1, "pr", pull=True, head_sha=sha)

        def log_backend() -> None:
            requests.get(f"{api}/actions/runs", params={"head_sha": sha}, headers=headers, timeout=60)
            requests.get(f"{api}/actions/runs/{run}/jobs", headers=headers, timeout=60)
            jobs = requests.get(f"{api}/actions/runs/{run}/jobs", headers=headers, timeout=60).json()["jobs"]
            moved = requests.get(
                f"{api}/actions/jobs/{jobs[0]['id']}/logs", headers=headers, allow_redirects=False, timeout=60
            )
            with requests.get(moved.headers["location"], stream=True, timeout=60) as blob:
                for _ in blob.iter_content(64 * 1024):
                    pass

        def compare_backend() -> None:
            for page in range(1, 7):
                requests.get(
                    f"{api}/compare/{shas[0]}...main", params={"page": page, "per_page": 100}, headers=headers,
                    timeout=60,
                )  # fmt: skip

        logs = CiLogs(CONFIG, {"github": ci})
        changes = WhatChanged(CONFIG, {"github": ci}, FakeHistory())
        log_ms, _ = _best(log_backend)
        log_look_ms, log_result = _best(lambda: asyncio.run(logs.run(ASKED, {"service": "api", "pr": 1})))
        compare_ms, _ = _best(compare_backend)
        compare_look_ms, compare_result = _best(
            lambda: asyncio.run(changes.run(ASKED, {"service": "api", "from": shas[0], "to": "main"}))
        )
    return [
        LookMeasure("ci_logs", "a 50 MB job log", emulator_tokens(str(log_result)), log_ms, log_look_ms),
        LookMeasure(
            "what_changed", "a 500-commit compare", emulator_tokens(str(compare_result)), compare_ms, compare_look_ms
        ),
    ]
