"""Run opsbot's own commands as real processes, as an operator would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def opsbot(args: list[str], env: Mapping[str, str], *, cwd: Path = ROOT, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start ``opsbot <args>`` with exactly ``env`` (plus what Python needs to run), in ``cwd``."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    # This checkout's code, whichever directory it runs in (the one it runs in may hold an ops.yaml, or none).
    where = {} if cwd == ROOT else {"PYTHONPATH": str(ROOT)}
    process: subprocess.Popen[bytes] = subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", *args],
        env={**base, "PYTHONUNBUFFERED": "1", **where, **env},
        cwd=cwd,
        **kwargs,  # type: ignore[call-overload]
    )
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM, as Kubernetes and compose do; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)
