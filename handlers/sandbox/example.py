"""The example ops config shipped with opsbot, for a console started where there is no ops.yaml.

It is package data, so an installed wheel and the container image carry it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

EXAMPLE_FILE = "ops.example.yaml"


@contextmanager
def example_config() -> Iterator[Path]:
    """The example's path on disk while the block runs (a zipped install unpacks it for that long)."""
    with as_file(files(__package__ or "handlers.sandbox").joinpath(EXAMPLE_FILE)) as path:
        yield path
