"""The one alphabet of names and refs that opsbot accepts.

Services, environments and refs are checked against it at the door (the
chat grammar, the agent's tool schemas, ``ops.yaml``), so a service called
``api;rm -rf /`` or a ref of ``$(curl …)`` never reaches anything that could
act on it. The JSON-schema patterns are these same strings.
"""

from __future__ import annotations

import re

_FIRST = "A-Za-z0-9"
_NAME_CHARS = _FIRST + "._-"
# A conservative subset of what `git check-ref-format` allows: enough for
# branches, tags and SHAs, nothing a shell or a URL could misread.
_REF_CHARS = _FIRST + "._/-"

NAME_PATTERN = f"^[{_FIRST}][{_NAME_CHARS}]{{0,62}}$"
REF_PATTERN = f"^[{_FIRST}][{_REF_CHARS}]{{0,199}}$"

NAME = re.compile(NAME_PATTERN)
REF = re.compile(REF_PATTERN)
NAME_WORD = re.compile(f"[{_FIRST}][{_NAME_CHARS}]*")  # a word in prose that could be a name


def is_name(value: str) -> bool:
    # fullmatch: Python's `$` would also match before a final newline, JSON Schema's doesn't.
    return NAME.fullmatch(value) is not None


def is_ref(value: str) -> bool:
    """A ref in the alphabet that git would also take (no ``..``, no trailing ``.lock``)."""
    return (
        REF.fullmatch(value) is not None
        and ".." not in value
        and "//" not in value
        and not value.endswith((".lock", "/", "."))
    )
