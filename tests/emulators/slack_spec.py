"""Slack's own description of its Web API methods (``shared/specs/slack-web.json``): which arguments a
method requires, so the emulator refuses a call Slack would refuse for missing one."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from tests.fixtures import FIXTURES

SPEC = Path(os.environ.get("OPSBOT_SPECS", FIXTURES.parent / "specs")) / "slack-web.json"


@cache
def _methods() -> dict[str, Any]:
    methods: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))["methods"]
    return methods


def missing_arguments(method: str, params: dict[str, Any]) -> list[str]:
    """The required arguments of ``method`` that ``params`` lacks (the token travels in a header)."""
    spec = _methods().get(method)
    if spec is None:
        raise KeyError(f"{method} is not in Slack's Web API description")
    return sorted(
        name
        for name, argument in spec["params"].items()
        if argument.get("required") and name != "token" and params.get(name) in (None, "")
    )
