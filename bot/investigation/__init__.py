"""What the Ops agent can look at in the systems it operates: metrics, alerts, CI logs, changes, the cluster.

Every look is read-only, reaches only the endpoints opsbot is configured with,
and returns a bounded summary rather than raw data: the model reads it as
untrusted material, and its size is part of each task's token budget.
"""
