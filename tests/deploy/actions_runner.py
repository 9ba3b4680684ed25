"""Runs one GitHub Actions job as a runner does, for the parts the CD template in deploy/cd/ uses.

Enough to see the template work against the GitHub emulator: ``${{ }}`` expressions that read
a context by path, negate, combine with ``&&``/``||`` or call a status function; a job's and its
steps' ``if:`` (a step's ``if:`` without a status function means ``success() && …``, as
GitHub says); ``env:`` at job and step level; ``run:`` scripts under bash as ``shell: bash``
runs them (``--noprofile --norc -eo pipefail``) with the runner's default variables; and the
job status the status functions read. Anything else in an expression is refused, so the
template can't lean on something this runner would quietly get wrong. ``uses:`` steps are not
run; their ``with:`` inputs are evaluated and kept.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)(\(\))?)")
STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")
SCRIPT_TIMEOUT = 60  # seconds: a hung script fails the test rather than the suite


class Unsupported(ValueError):
    """An expression this runner does not understand."""


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub reads workflows: only true/false are booleans, so ``on:`` stays a key."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_workflow(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader
    assert isinstance(loaded, dict)
    return loaded


def truthy(value: Any) -> bool:
    """GitHub's coercion: null, false, 0 and '' are false; anything else (objects too) is true."""
    return value not in (None, False, 0, "")


def as_text(value: Any) -> str:
    """How a value lands in a string: null is empty, booleans are lower-case, objects are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


class _Parser:
    def __init__(self, text: str, contexts: Mapping[str, Any], status: str) -> None:
        self._tokens = self._tokenize(text)
        self._contexts, self._status = contexts, status

    @staticmethod
    def _tokenize(text: str) -> list[str]:
        tokens, at = [], 0
        while text[at:].strip():
            found = TOKEN.match(text, at)
            if found is None:
                raise Unsupported(f"can't read {text[at:].strip()!r}")
            tokens.append(found.group(1) or found.group(2) + (found.group(3) or ""))
            at = found.end()
        return tokens

    def parse(self) -> Any:
        value = self._or()
        if self._tokens:
            raise Unsupported(f"unexpected {self._tokens[0]!r}")
        return value

    def _take(self, token: str) -> bool:
        if self._tokens and self._tokens[0] == token:
            self._tokens.pop(0)
            return True
        return False

    def _or(self) -> Any:
        value = self._and()
        while self._take("||"):
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._not()
        while self._take("&&"):
            right = self._not()
            value = right if truthy(value) else value
        return value

    def _not(self) -> Any:
        if self._take("!"):
            return not truthy(self._not())
        if self._take("("):
            value = self._or()
            if not self._take(")"):
                raise Unsupported("unbalanced parenthesis")
            return value
        if not self._tokens:
            raise Unsupported("the expression ends too soon")
        return self._operand(self._tokens.pop(0))

    def _operand(self, token: str) -> Any:
        if token.endswith("()"):
            name = token[:-2]
            if name not in STATUS_FUNCTIONS:
                raise Unsupported(f"function {name}()")
            return name == "always" or self._status == name
        first, *rest = token.split(".")
        if first not in self._contexts:
            raise Unsupported(f"context {first!r}")
        value = self._contexts[first]
        for key in rest:
            value = value.get(key) if isinstance(value, dict) else None  # a missing property is null
        return value


def evaluate(expression: str, contexts: Mapping[str, Any], status: str = "success") -> Any:
    return _Parser(expression, contexts, status).parse()


def interpolate(value: Any, contexts: Mapping[str, Any]) -> str:
    """A workflow value with its ``${{ }}`` parts evaluated, as text."""
    return EXPRESSION.sub(lambda found: as_text(evaluate(found.group(1), contexts)), as_text(value))


def condition(text: Any, contexts: Mapping[str, Any], status: str, *, step: bool) -> bool:
    expression = str(text).strip()
    whole = EXPRESSION.fullmatch(expression)
    expression = whole.group(1) if whole else expression
    if step and not any(f"{name}()" in expression for name in STATUS_FUNCTIONS):
        expression = f"success() && ({expression})"
    return truthy(evaluate(expression, contexts, status))


@dataclass
class JobRun:
    ran: bool  # False: the job's own if: left it out
    status: str = "success"
    steps_run: list[str] = field(default_factory=list)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # a uses: step's evaluated with:
    logs: dict[str, str] = field(default_factory=dict)  # what each script printed, for a failing test's message


def run_job(
    job: Mapping[str, Any],
    github: Mapping[str, Any],
    *,
    workdir: Path,
    runner_env: Mapping[str, str],
    cancel_at: str | None = None,
) -> JobRun:
    """Run ``job`` with the ``github`` context in ``workdir``. ``cancel_at`` names the step during
    which someone cancels the run: it does not finish, and the job's status becomes cancelled."""
    contexts: dict[str, Any] = {"github": dict(github), "job": {"status": "success"}}
    if "if" in job and not condition(job["if"], contexts, "success", step=False):
        return JobRun(ran=False)
    run = JobRun(ran=True)
    job_env = {name: interpolate(value, contexts) for name, value in (job.get("env") or {}).items()}
    for step in job["steps"]:
        name = step.get("name") or step.get("uses") or "step"
        contexts["job"] = {"status": run.status}
        if not condition(step.get("if", "success()"), contexts, run.status, step=True):
            continue
        if name == cancel_at:
            run.status = "cancelled"
            continue
        run.steps_run.append(name)
        if "uses" in step:
            run.inputs[name] = {key: interpolate(value, contexts) for key, value in (step.get("with") or {}).items()}
            continue
        step_env = {key: interpolate(value, contexts) for key, value in (step.get("env") or {}).items()}
        script = workdir / f"step-{len(run.steps_run)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workdir,
            env={**runner_env, **job_env, **step_env},
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )
        run.logs[name] = done.stdout + done.stderr
        if done.returncode != 0 and run.status == "success":
            run.status = "failure"
    return run


def runner_environment(github: Mapping[str, Any], home: Path) -> dict[str, str]:
    """The variables a runner sets for every step (the few the template reads, and a PATH)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": str(github["api_url"]),
        "GITHUB_SERVER_URL": str(github["server_url"]),
        "GITHUB_REPOSITORY": str(github["repository"]),
        "GITHUB_RUN_ID": str(github["run_id"]),
        "GITHUB_EVENT_NAME": str(github["event_name"]),
    }
