"""What every check of the deploy files needs: where they are, the CLI, the environment opsbot reads."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings
from handlers.cli import parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Read by the SDKs or the runtime rather than by Settings, and still meaningful to set.
ALSO_READ = frozenset({"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PATH", "HOME", "TZ"})


class _Recording(dict[str, str]):
    """An empty environment that notes every name it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


@cache
def environment_names() -> frozenset[str]:
    """Every variable name opsbot's settings look at, found by asking them."""
    recording = _Recording()
    Settings.from_env(recording)
    return frozenset(recording.asked) | ALSO_READ


def cli_args(args: list[str]) -> argparse.Namespace:
    """``args`` as ``opsbot`` parses them; argparse exits (SystemExit) on anything it doesn't know."""
    return parser().parse_args(args)


def yaml_documents(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document is not None:
            yield document
