"""Signed bodies decoded into typed values at the edge, and the one way that fails.

Each source declares the fields its handlers read as ``msgspec.Struct`` types
(unknown fields are ignored, so GitHub and GitLab can add to their payloads);
decoding checks type and shape in one pass, and anything that doesn't fit is
:class:`MalformedPayload`, which the routes answer with 400.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec

T = TypeVar("T")

# Ids and numbers as the forges store them: signed 64-bit, never negative.
# msgspec would otherwise decode a 100-digit integer into a Python int.
MAX_INT64 = 2**63 - 1
Id = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]
REASON_LIMIT = 200  # characters of a decoder's message repeated in a 400


class MalformedPayload(ValueError):
    """The body was signed but is not the shape this route reads; one line, safe to answer.

    The one such failure for every source (GitHub, GitLab, Slack): each route answers it with 400.
    """


class Shape(msgspec.Struct, forbid_unknown_fields=False):
    """Base of every inbound payload type: extra fields are allowed and ignored."""


def decode_payload(body: bytes, kind: type[T]) -> T:
    """``body`` as ``kind``, or :class:`MalformedPayload` saying why not in one line."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError too
        raise MalformedPayload(one_line(str(exc))) from None
    except RecursionError:
        # msgspec walks nested arrays and objects recursively, skipped fields included.
        raise MalformedPayload("the JSON is nested too deeply") from None


def one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= REASON_LIMIT else flat[: REASON_LIMIT - 1] + "…"
