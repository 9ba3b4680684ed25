"""Run a blocking SDK call (PyGithub, python-gitlab) off the event loop.

Those two libraries are synchronous; their calls run in the loop's thread
pool so a slow forge never stalls the worker's other jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def off_loop(func: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, func)
