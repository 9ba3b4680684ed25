"""Hypothesis strategies for what an attacker or a broken sender posts to a webhook."""

from __future__ import annotations

import copy
import json
from types import ModuleType
from typing import Any

import msgspec
from hypothesis import strategies as st

from handlers.http_payloads import Shape

# Header values as bytes: Starlette decodes them latin-1, so anything but CR/LF can arrive.
HEADER_VALUES = st.one_of(
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256={h}".encode()),
    st.sampled_from([b"", b"sha256=", b"sha256=\xff\xfe", "sha256=é".encode(), b"gzip", b"application/json"]),
)


def header_lists(names: list[str]) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    """Any of ``names`` any number of times (missing, once, repeated), with any value."""
    return st.lists(st.tuples(st.sampled_from(names).map(str.encode), HEADER_VALUES), max_size=8)


BODIES = st.one_of(
    st.binary(max_size=300),
    st.just(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae\x05\x00C\xbf\xa6\xa3\x02\x00\x00\x00"),  # gzip of {}
    st.text(max_size=100).map(lambda t: t.encode("utf-16")),
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: object keys and array indexes, depth first."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def fields_read(module: ModuleType) -> frozenset[str]:
    """The JSON names of every field the payload types in ``module`` declare."""
    shapes = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Shape) and v is not Shape]
    return frozenset(f.encode_name for shape in shapes for f in msgspec.structs.fields(shape))


@st.composite
def mutated(draw: st.DrawFn, document: Any, focus: frozenset[str] = frozenset()) -> bytes:
    """``document`` with one field replaced by another JSON value (often of another type) or
    removed; half the time one reached through fields named in ``focus`` only (those a handler reads)."""
    places = paths(document)
    focused = [p for p in places if all(isinstance(k, int) or k in focus for k in p)]
    aim = bool(focused) and draw(st.booleans())
    place = draw(st.sampled_from(focused if aim else places))
    changed = copy.deepcopy(document)
    parent = changed
    for key in place[:-1]:
        parent = parent[key]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = draw(JSON)
    return json.dumps(changed).encode()


def nested(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
