"""Frozen records (deployments, approvals) as JSON in Redis, and back.

Their people and places are nested values; naming which fields hold them
keeps one encoding for every store rather than a hand-written pair each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import orjson

from bot.model import Person, place_from_json

T = TypeVar("T")


def dumps(record: object) -> bytes:
    data: dict[str, Any] = dict(vars(record))
    for key, value in data.items():
        if hasattr(value, "__dataclass_fields__"):  # a Person or a Place
            data[key] = dict(vars(value))
    return orjson.dumps(data)


def loads(kind: type[T], raw: bytes | str, *, people: Sequence[str] = (), places: Sequence[str] = ()) -> T:
    data = orjson.loads(raw)
    for key in people:
        data[key] = Person(**data[key])
    for key in places:
        data[key] = place_from_json(data[key])
    return kind(**data)
