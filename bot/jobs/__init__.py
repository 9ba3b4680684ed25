"""Jobs: the envelope and the kinds (kinds), intake at the edges, the table from kind to handler
(dispatch), retries (backoff) and the worker loop. Payload types live with their features; features
may import ``kinds`` to make a job, never ``dispatch`` or ``worker``, which see every feature."""
