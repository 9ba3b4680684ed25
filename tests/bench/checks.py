"""What the queue holds after a run: lost, duplicated, and whether redelivery is deduplicated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import redis

PAGE = 5000

Fields = Mapping[bytes | str, bytes | str]
Extract = Callable[[Fields], str]


def _field(fields: Fields, name: str) -> str:
    value = fields.get(name.encode(), fields.get(name))
    if value is None:
        raise KeyError(name)
    return value.decode() if isinstance(value, bytes) else value


def opsbot_delivery(fields: Fields) -> str:
    """``trace.delivery`` of an opsbot job entry."""
    job: dict[str, Any] = orjson.loads(_field(fields, "job"))
    return str(job["trace"]["delivery"])


def floor_delivery(fields: Fields) -> str:
    return _field(fields, "delivery")


def stream_ids(client: redis.Redis, stream: str, extract: Extract) -> Counter[str]:
    """How many times each delivery id occurs in ``stream``, read page by page."""
    seen: Counter[str] = Counter()
    total = int(client.xlen(stream))
    start = "-"
    for _ in range(total // PAGE + 2):
        page = client.xrange(stream, min=start, count=PAGE) or []
        for _, fields in page:
            if fields:
                seen[extract(fields)] += 1
        last = page[-1][0] if page else None
        if len(page) < PAGE or last is None:
            break
        start = "(" + (last.decode() if isinstance(last, bytes) else last)
    return seen


@dataclass(frozen=True)
class StreamCheck:
    accepted: int  # ids answered 2xx
    entries: int
    lost: int  # answered 2xx, not in the stream
    duplicated: int  # ids in the stream more than once
    unanswered: int  # in the stream without a 2xx (e.g. answered after the client gave up)


def check_stream(client: redis.Redis, stream: str, extract: Extract, ok_ids: Iterable[str]) -> StreamCheck:
    accepted = set(ok_ids)
    seen = stream_ids(client, stream, extract)
    return StreamCheck(
        accepted=len(accepted),
        entries=sum(seen.values()),
        lost=len(accepted - seen.keys()),
        duplicated=sum(1 for count in seen.values() if count > 1),
        unanswered=len(seen.keys() - accepted),
    )


@dataclass(frozen=True)
class Redelivery:
    resent: int
    answered_2xx: int
    growth: int  # how many entries the stream gained

    @property
    def ok(self) -> bool:
        return self.resent > 0 and self.answered_2xx == self.resent and self.growth == 0
