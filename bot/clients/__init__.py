"""Adapters over the vendors' own client libraries (Slack, GitHub, GitLab, Claude) implementing the core's ports.

The one place vendor SDKs are imported; they may import any core value or port they implement, never a
store or the edges. Only the composition root (handlers.app) sees them next to the core.
"""
