"""Failures in plain words, each with an error id an operator can grep for."""

from __future__ import annotations

import secrets

from bot.errors import CommandError, StoreUnavailable, UpstreamRejected, UpstreamUnavailable, WorkerLost


def new_error_id() -> str:
    """Short enough to read aloud, unique enough to find one log line."""
    return "E-" + secrets.token_hex(4).upper()


def explain(exc: BaseException, *, error_id: str, attempts: int) -> str:
    tried = f" I tried {attempts} times." if attempts > 1 else ""
    if isinstance(exc, CommandError):
        return f"{exc} (error id {error_id})"
    if isinstance(exc, UpstreamUnavailable):
        status = f" (HTTP {exc.status})" if exc.status else ""
        if exc.service == "Claude" and exc.status in (429, 529):
            return f"Claude is overloaded{status}; try again in a minute.{tried} (error id {error_id})"
        return (
            f"{exc.service} is not answering right now{status}.{tried} "
            f"Please try again in a few minutes. (error id {error_id})"
        )
    if isinstance(exc, UpstreamRejected):
        return f"{exc.service} refused the request: {exc.detail}. (error id {error_id})"
    if isinstance(exc, WorkerLost):
        return (
            f"opsbot stopped {exc.times} times while working on this request, so it gave up rather than "
            f"try again. An operator can look it up under error id {error_id}."
        )
    if isinstance(exc, StoreUnavailable):
        return f"opsbot can't reach its store (Redis), so nothing was done.{tried} (error id {error_id})"
    return (
        "Something went wrong inside opsbot and your request was not completed. "
        f"An operator can find the details in the logs under error id {error_id}."
    )
