"""The real payloads in shared/fixtures, as published by GitHub, GitLab and Slack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("OPSBOT_FIXTURES", ROOT.parent / "shared" / "fixtures"))
SCHEMA_BASE = "https://schemas.opsbot.test/"

if not FIXTURES.is_dir():  # fail loudly: these tests must never pass by finding nothing
    raise RuntimeError(f"the shared fixtures are not at {FIXTURES}; set OPSBOT_FIXTURES")


def path(relative: str) -> Path:
    return FIXTURES / relative


def raw(relative: str) -> bytes:
    return path(relative).read_bytes()


def load(relative: str) -> Any:
    return json.loads(raw(relative))


def github_payloads() -> list[Path]:
    """Every webhook payload (the signature vector is not one)."""
    found = sorted(p for p in (FIXTURES / "github").glob("*.json") if p.name != "signature_vector.json")
    assert len(found) >= 18, f"expected the 18 GitHub payloads in {FIXTURES}, found {len(found)}"
    return found


def github_event_of(fixture: Path) -> str:
    """GitHub's event name is the part of the file name before the first dot."""
    return fixture.name.split(".", 1)[0]


def github_schema_validator(event: str, action: str | None) -> Draft7Validator:
    """A validator for one event's schema, with common/* resolvable by relative path."""
    schema_dir = FIXTURES / "github" / "schema"
    resources = []
    for common in sorted((schema_dir / "common").glob("*.json")):
        resources.append((f"{SCHEMA_BASE}common/{common.name}", Resource.from_contents(json.loads(common.read_text()))))
    registry: Registry[Any] = Registry().with_resources(resources)
    candidates = [schema_dir / event / f"{action}.schema.json", schema_dir / event / "event.schema.json"]
    schema_file = next(p for p in candidates if p.is_file())
    schema = json.loads(schema_file.read_text())
    schema["$id"] = f"{SCHEMA_BASE}{event}.schema.json"
    return Draft7Validator(schema, registry=registry)
