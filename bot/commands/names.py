"""The one alphabet of names and refs that opsbot accepts.

Services, environments and refs are checked against it at the door (the
chat grammar, the agent's tool schemas, ``ops.yaml``), so a service called
``api;rm -rf /`` or a ref of ``$(curl …)`` never reaches anything that could
act on it. The JSON-schema patterns are these same strings.
"""

from __future__ import annotations

import re

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
# A conservative subset of what `git check-ref-format` allows: enough for
# branches, tags and SHAs, nothing a shell or a URL could misread.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"

NAME = re.compile(NAME_PATTERN)
REF = re.compile(REF_PATTERN)


def is_name(value: str) -> bool:
    return NAME.match(value) is not None


def is_ref(value: str) -> bool:
    """A ref in the alphabet that git would also take (no ``..``, no trailing ``.lock``)."""
    return (
        REF.match(value) is not None
        and ".." not in value
        and "//" not in value
        and not value.endswith((".lock", "/", "."))
    )
