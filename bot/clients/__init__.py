"""Implementations of the core's ports over the vendors' own client libraries."""
