"""The edges: HTTP endpoints, the console and the CLI.

A handler verifies, parses into a core value, enqueues and acknowledges; no
business rule lives here. :mod:`handlers.app` is the composition root.
"""
