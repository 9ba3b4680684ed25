"""Backoff between tries of an upstream."""

from __future__ import annotations

from bot.jobs.backoff import backoff


def test_backoff_grows_is_capped_and_respects_retry_after() -> None:
    assert 0.8 <= backoff(1, 1.0, 10.0, None) <= 1.2
    assert 3.2 <= backoff(3, 1.0, 10.0, None) <= 4.8
    assert backoff(10, 1.0, 10.0, None) <= 12.0
    assert backoff(1, 1.0, 10.0, 7.0) >= 7.0
    assert backoff(1, 1.0, 10.0, 3600.0) <= 12.0  # a huge Retry-After is capped, not obeyed blindly
