"""Serve a floor app the way ``opsbot serve`` serves opsbot: one uvicorn process."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp


def port_from(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port: int = parser.parse_args(argv).port
    return port


def serve(app: ASGIApp, port: int) -> None:
    """uvloop + httptools, no access log, nothing below WARNING logged."""
    logging.basicConfig(level=logging.WARNING)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        loop="uvloop",
        http="httptools",
    )
