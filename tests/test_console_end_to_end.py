"""The console as a newcomer finds it: no ops.yaml, no Redis, no forge, and everything can be tried.

The acceptance transcript and the determinism check run the real ``opsbot shell``
as a process, from a directory with no ops.yaml and an environment with nothing
set. The other transcripts run the same shell in this process (``run_shell``,
which is what ``opsbot shell`` runs), so each is quick to read and to run.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from bot.settings import Settings
from handlers.cli import run_shell
from handlers.sandbox.example import example_config
from handlers.sandbox.forge import commit
from tests.emulators import text, tool_use
from tests.harness import Emulators
from tests.processes import ROOT, opsbot

ACCEPTANCE = "/ops deploy api to production\n/as U_CAROL\n/ops approve\n/ops status\n"
MAIN = commit("acme/api", "main")[:7]


def piped(lines: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``printf lines | opsbot shell`` in ``cwd``, with no opsbot variable set."""
    process = opsbot(["shell"], {}, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(lines.encode(), timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out.decode(), err.decode())


async def transcript(lines: str, **env: str) -> list[str]:
    """What the console prints for ``lines``, on the example config and the sandbox forge."""
    with example_config() as example:
        settings = Settings.from_env({"OPSBOT_CONFIG": str(example), **env})
        out = io.StringIO()
        await run_shell(settings, "U_SHELL", "C_SHELL", stdin=io.StringIO(lines), out=out)
    return out.getvalue().splitlines()


def after(lines: list[str], first: str) -> list[str]:
    """The lines from the first one that starts with ``first``."""
    starts = [n for n, line in enumerate(lines) if line.startswith(first)]
    assert starts, f"no line starts with {first!r}:\n" + "\n".join(lines)
    return lines[starts[0] :]


def test_a_production_deploy_waits_for_carol_then_goes_live(tmp_path: Path) -> None:
    done = piped(ACCEPTANCE, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the example config is loaded" in done.stderr
    assert "deploys go to the sandbox forge" in done.stderr
    lines = done.stdout.splitlines()
    waiting = after(lines, "⏳ `production` is protected: deploying `api` `main`")
    assert f"(`{MAIN}`) needs an approval by one of U_CAROL" in waiting[0]
    assert waiting[1] == "Now typing as U_CAROL."
    approved = after(waiting, "👍 Approved by U_CAROL.")
    live = after(approved, "✅ `api` `main` is live on `production`.")
    status = after(live, "**Status**")
    assert status[2:4] == ["Latest deploys:", f"✅ live `api` → `production`: `main` (`{MAIN}`) by U_SHELL"]
    assert "Traceback" not in done.stderr
    # The README's first section shows this very run.
    shown = readme_transcript(ACCEPTANCE)
    said = [line for line in shown if not line.startswith("opsbot: ")]
    assert normalised("\n".join(said)) == normalised(done.stdout.rstrip("\n"))
    told = [re.sub(r"\(/\S+/handlers/", "(handlers/", line) for line in shown if line.startswith("opsbot: ")]
    assert told == [re.sub(r"\(/\S+/handlers/", "(handlers/", line) for line in done.stderr.splitlines()]


def readme_transcript(lines: str) -> list[str]:
    """The console session the README shows for ``printf lines | make run``."""
    command = "$ printf '" + lines.replace("\n", "\\n") + "' | make run"
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index(command) + 1
    return readme[start : readme.index("```", start)]


def test_on_a_terminal_the_deploy_goes_live_in_the_background_while_the_console_waits(tmp_path: Path) -> None:
    terminal, console_side = pty.openpty()
    process = opsbot(["shell"], {}, cwd=tmp_path, stdin=console_side, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(console_side)
    assert process.stdout is not None
    assert process.stderr is not None
    with process.stdout, process.stderr:
        try:
            os.write(terminal, b"/ops deploy api to staging\n")
            seen = b""
            deadline = time.monotonic() + 60  # a bound for a stuck console, not a measure of speed
            while b"is live on `staging`." not in seen and time.monotonic() < deadline:
                if select.select([process.stdout], [], [], 1)[0]:
                    seen += os.read(process.stdout.fileno(), 4096)
            # Live before anything more was typed: the CD moved it along on its own.
            assert "✅ `api` `main` is live on `staging`." in seen.decode(), seen.decode()
            os.write(terminal, b"\x04")  # Ctrl-D: the end of input on a terminal
            assert process.wait(timeout=60) == 0
        finally:
            os.close(terminal)
            if process.poll() is None:
                process.kill()
                process.wait()
        assert b"/as <user> changes who is typing" in process.stderr.read()


def normalised(transcript: str) -> str:
    """A transcript without what is new on every run: approval and memory ids, and the clock's time."""
    transcript = re.sub(r"\b(approve|approved|approval) [0-9a-f]{6}\b", r"\1 <id>", transcript)
    transcript = re.sub(r"\bm-[0-9a-f]{8}\b", "m-<id>", transcript)
    transcript = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<time>", transcript)
    return re.sub(r"\binc-\d{8}-", "inc-<date>-", transcript)


def test_a_piped_transcript_prints_the_same_conversation_every_time(tmp_path: Path) -> None:
    lines = (
        ACCEPTANCE
        + "/as U_SHELL\n/ops deploy api@broken to staging\n/ops deploy web to staging\n"
        + "/ops incident declare Checkout is slow\n/ops deploy web@v1.0.0 to staging\n/ops rollback web staging\n"
        + "/ops incident resolve rolled back\n/ops remember context staging is eu-west-1\n/ops memories\n"
    )
    first, second = piped(lines, tmp_path), piped(lines, tmp_path)
    assert first.returncode == second.returncode == 0
    assert normalised(first.stdout) == normalised(second.stdout)
    # Every deploy finished (and said so in the channel asked from) before the next line was read.
    here = [line for line in first.stdout.splitlines() if not line.startswith("[#")]
    assert [line for line in here if line.endswith("is live on `staging`.")] == [
        "✅ `web` `main` is live on `staging`.",
        "✅ `web` `v1.0.0` is live on `staging`.",
        "✅ `web` `main` is live on `staging`.",
    ]
    assert "❌ Deploy of `api` `broken` to `staging` failed." in first.stdout


async def test_a_bare_deploy_in_the_console_answers_its_usage_and_deploys_nothing() -> None:
    lines = await transcript("/ops deploy\n/ops status\n")
    assert lines[0].endswith("Usage: `/ops deploy <service>[@<ref>] to <env> [--dry-run]`")
    assert after(lines, "Latest deploys:")[1] == "none yet"


async def test_a_deploy_of_broken_fails_and_the_status_says_so() -> None:
    lines = await transcript("/ops deploy api@broken to staging\n/ops status api\n")
    broken = commit("acme/api", "broken")[:7]
    assert lines[:4] == [
        f"Deploy of `api` `broken` (`{broken}`) to `staging` for U_SHELL: ⏳ queued",
        f"Deploy of `api` `broken` (`{broken}`) to `staging` for U_SHELL: 🚀 in progress",
        f"Deploy of `api` `broken` (`{broken}`) to `staging` for U_SHELL: ❌ failed",
        "❌ Deploy of `api` `broken` to `staging` failed.",
    ]
    assert f"❌ failed `api` → `staging`: `broken` (`{broken}`) by U_SHELL" in after(lines, "**Status of api**")


async def test_nobody_approves_their_own_deploy_and_only_approvers_approve() -> None:
    lines = await transcript(
        "/ops deploy api to production\n/ops approve\n/as U_BOB\n/ops approve\n/as U_CAROL\n/ops approve\n"
    )
    assert lines[1] == "You can't approve your own deploy: someone else has to."
    assert lines[3] == "You are not an approver of `production`."
    assert after(lines, "👍 Approved by U_CAROL.")
    assert lines[-1] == "✅ `api` `main` is live on `production`."


async def test_a_rollback_redeploys_the_last_good_release() -> None:
    lines = await transcript(
        "/ops deploy api@v1.0.0 to staging\n/ops deploy api to staging\n/ops rollback api staging\n/ops status api\n"
    )
    release = commit("acme/api", "v1.0.0")[:7]
    rollback = after(lines, f"Rollback of `api` `v1.0.0` (`{release}`) to `staging` for U_SHELL: ⏳ queued")
    assert f"Rollback of `api` `v1.0.0` (`{release}`) to `staging` for U_SHELL: ✅ live" in rollback
    assert f"✅ live `api` → `staging`: `v1.0.0` (`{release}`) by U_SHELL" in after(rollback, "**Status of api**")


async def test_a_lock_holds_everyone_else_s_deploys_until_it_is_released() -> None:
    lines = await transcript(
        "/ops lock staging api --reason db migration\n/as U_ALICE\n/ops deploy api to staging\n"
        "/as U_SHELL\n/ops unlock staging api\n/as U_ALICE\n/ops deploy api to staging\n"
    )
    assert lines[2] == "`staging/api` is locked by U_SHELL: db migration. Nothing was deployed."
    assert "🔓 `staging/api` is unlocked." in lines
    assert lines[-1] == "✅ `api` `main` is live on `staging`."
    assert sum("for U_ALICE: ⏳ queued" in line for line in lines) == 1


async def test_an_incident_has_a_room_in_the_console_that_hears_of_deploys() -> None:
    lines = await transcript(
        "/ops incident declare Checkout is slow --sev 2\n/ops deploy web to staging\n"
        "/ops incident update rolled back web\n/ops incident resolve cache purged\n/ops incident update again\n"
    )
    [room] = {m[1] for line in lines if (m := re.match(r"^\[#(inc-\d{8}-checkout-is-slow)\] ", line))}
    said_there = [line.removeprefix(f"[#{room}] ") for line in lines if line.startswith(f"[#{room}] ")]
    assert said_there[:2] == ["🚨 **Checkout is slow**", "Severity: sev2 · Commander: U_SHELL · Status: 🔴 open"]
    assert f"🚨 Incident declared: **Checkout is slow** (sev2) · #{room} · commander U_SHELL" in lines
    assert "✅ `web` `main` is live on `staging`." in said_there
    assert said_there[said_there.index("📣 **Status update** from U_SHELL") + 1] == "rolled back web"
    assert "✅ **Resolved** by U_SHELL: cache purged" in said_there
    assert f"✅ Incident resolved: **Checkout is slow** · #{room}" in lines
    assert lines[-1] == "There is no open incident. Declare one with `/ops incident declare <title> [--sev 1-4]`."


async def test_what_is_remembered_is_listed_and_forgotten() -> None:
    lines = await transcript("/ops remember mistake never deploy api on fridays\n/ops memories\n")
    [memory_id] = re.findall(r"Remembered `(m-[0-9a-f]{8})` as _mistake_", lines[0])
    assert f"• `{memory_id}` _mistake_ never deploy api on fridays (team, by U_SHELL, recalled 0×)" in lines
    forgotten = await transcript(f"/ops forget {memory_id}\n")
    assert "never deploy" not in "\n".join(forgotten)  # a new console remembers nothing: the store is its own


async def test_the_agent_in_the_console_plans_its_todos_and_deploys_to_the_sandbox(emulators: Emulators) -> None:
    plan = [
        {"content": "Deploy api to staging", "status": "completed"},
        {"content": "Watch the error rate", "status": "pending"},
    ]
    emulators.anthropic.script(
        [
            tool_use("update_todos", {"todos": plan}),
            tool_use("deploy", {"service": "api", "environment": "staging"}),
            text("**Summary**: api is deploying to staging.\n**Remember**: null"),
        ]
    )
    lines = await transcript(
        "@opsbot ship api to staging and keep a list\n/ops todos\n/ops status api\n",
        ANTHROPIC_API_KEY=emulators.anthropic.api_key,
        ANTHROPIC_BASE_URL=emulators.anthropic.url,
        OPSBOT_AGENT_RETRY_BASE_DELAY="0.01",
    )
    todos = after(lines, "**[Ops] todos here** (1 of 2 done)")
    assert todos[1:3] == ["- [x] [Ops] Deploy api to staging", "- [ ] [Ops] Watch the error rate"]
    assert f"✅ live `api` → `staging`: `main` (`{MAIN}`) by U_SHELL" in after(todos, "**Status of api**")
    assert not emulators.errors
