"""Reading a core value back from plain JSON, one checked field at a time.

Values that cross the job queue were written by some release of opsbot, not
necessarily this one; a field that is missing or of the wrong type says so by
name (a ``ValueError``) instead of surfacing later as a ``KeyError`` deep in
whatever uses the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

Choice = TypeVar("Choice", bound=str)


def field(data: Mapping[str, Any], name: str) -> object:
    if name not in data:
        raise ValueError(f"{name!r} is missing")
    return data[name]


def text(data: Mapping[str, Any], name: str) -> str:
    value = field(data, name)
    if not isinstance(value, str):
        raise ValueError(f"{name!r} is not a string")
    return value


def optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name!r} is not a string")
    return value


def number(data: Mapping[str, Any], name: str) -> float:
    value = field(data, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name!r} is not a number")
    return float(value)


def integer(data: Mapping[str, Any], name: str) -> int:
    value = field(data, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name!r} is not an integer")
    return value


def flag(data: Mapping[str, Any], name: str) -> bool:
    value = field(data, name)
    if not isinstance(value, bool):
        raise ValueError(f"{name!r} is not true or false")
    return value


def mapping(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = field(data, name)
    if not isinstance(value, Mapping):
        raise ValueError(f"{name!r} is not an object")
    return value


def one_of(data: Mapping[str, Any], name: str, choices: tuple[Choice, ...]) -> Choice:
    value = field(data, name)
    for choice in choices:
        if value == choice:
            return choice
    raise ValueError(f"{name!r} is not one of {', '.join(choices)}")
