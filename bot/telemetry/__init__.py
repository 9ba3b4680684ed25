"""Metrics and structured logs: what opsbot counts and how it writes log lines.

May import the shared modules and job ports; no feature, client or store.
"""
