"""The exception tree of opsbot, mapped to plain words at the edges.

    OpsbotError
    ├── ConfigError          the environment or ops.yaml is wrong; raised at start-up
    ├── CommandError         a person's request can't be carried out as asked
    ├── WorkerLost           the job's worker died again and again
    ├── StoreUnavailable     Redis did not answer
    │   └── Busy             another worker holds what this job needs; retry shortly
    └── UpstreamError        Slack, GitHub, GitLab or Claude failed
        ├── UpstreamUnavailable  transient (429, 5xx, timeout): worth retrying
        └── UpstreamRejected     permanent (4xx): retrying would not help

Clients translate their SDK's exceptions into this tree, so the core and the
worker decide on retries without knowing which SDK was behind a failure.
"""

from __future__ import annotations


class OpsbotError(Exception):
    """Base of every error opsbot raises on purpose."""


class ConfigError(OpsbotError):
    """The configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class CommandError(OpsbotError):
    """A request that can't be carried out; the message is shown to the person."""


class WorkerLost(OpsbotError):
    """The job's workers kept disappearing while running it (crash, OOM kill)."""

    def __init__(self, times: int) -> None:
        super().__init__(f"the worker running this request stopped {times} times")
        self.times = times


class StoreUnavailable(OpsbotError):
    """The store (Redis) could not be reached."""


class Busy(StoreUnavailable):
    """Another worker is changing the same thing; the job is retried like a store outage."""


class UpstreamError(OpsbotError):
    """A call to Slack, GitHub, GitLab or Claude failed.

    ``service`` names the upstream in words people know ("GitHub"), ``status``
    is the HTTP status when there was one.
    """

    def __init__(self, service: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status


class UpstreamUnavailable(UpstreamError):
    """A transient failure: rate limited, overloaded, 5xx or a timeout."""

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(service, detail, status=status)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    """A permanent failure: the upstream refused the request as made.

    ``code`` is the upstream's own name for the refusal ("not_in_channel"),
    when it gives one, so a client can decide on a fallback.
    """

    def __init__(self, service: str, detail: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(service, detail, status=status)
        self.code = code
