"""How long to wait before trying an upstream again."""

from __future__ import annotations

import random


def backoff(attempt: int, base: float, ceiling: float, retry_after: float | None) -> float:
    """Exponential backoff with jitter for try number ``attempt`` (1-based); a server's
    Retry-After wins when it asks for longer, up to ``ceiling``."""
    delay = min(ceiling, base * float(2 ** max(0, attempt - 1)))
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        delay = max(delay, min(retry_after, ceiling))
    return delay
