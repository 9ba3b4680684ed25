"""Published Alertmanager and Grafana webhook payloads (see SOURCES.md), read as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ALERTMANAGER = HERE / "alertmanager_v4.json"
GRAFANA = HERE / "grafana.json"


def body(path: Path) -> bytes:
    return path.read_bytes()


def load(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found
