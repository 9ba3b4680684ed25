"""Throughput benchmarks: opsbot's HTTP edges against minimal floors, measured in the same run.

``python -m tests.bench`` starts a private redis-server and a Slack emulator,
serves each app in its own uvicorn process and drives it from a separate
load-generator process over keep-alive HTTP/1.1 connections on 127.0.0.1.
"""
