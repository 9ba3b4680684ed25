"""Run opsbot's own commands as real processes, as an operator would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def opsbot(args: list[str], env: Mapping[str, str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Start ``opsbot <args>`` with exactly ``env`` (plus what Python needs to run)."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    process: subprocess.Popen[bytes] = subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", *args],
        env={**base, "PYTHONUNBUFFERED": "1", **env},
        cwd=ROOT,
        **kwargs,  # type: ignore[call-overload]
    )
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM, as Kubernetes and compose do; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)
