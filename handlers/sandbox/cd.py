"""The sandbox's CD: what a pipeline does once opsbot has created a deployment, played in the process.

Each deployment goes from queued (as it is created) to in_progress, then to
success, or failure when it deploys the ``broken`` branch. Each step is relayed
as a forge's webhook relays one: a ``deploy.status`` job, run by the job
dispatcher production runs, so the console shows the same status edits and
announcements as Slack (and open incidents hear of it).

On a terminal the steps come a moment apart, in the background (:meth:`SandboxCD.run`).
Piped input is settled instead (:meth:`SandboxCD.settle`): every step still to
come is played at once, in order, so a transcript prints the same every time
without waiting for a clock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bot.deploys.model import NewDeployment
from bot.deploys.status_report import DeployStatusReport
from bot.forges import ForgeName
from bot.jobs.kinds import Delivery, Job

STEP_SECONDS = 1.5  # between two steps on a terminal: long enough to see, short enough to wait for

log = logging.getLogger(__name__)


class Jobs(Protocol):
    """What runs a job: the dispatcher, as the composition root builds it."""

    async def run(self, delivery: Delivery) -> None: ...


@dataclass(frozen=True)
class Step:
    deployment: str  # the deployment's key, as the deploys feature names it
    status: str  # a deployment status, as GitHub words it


class SandboxCD:
    def __init__(self, pace: float = STEP_SECONDS) -> None:
        self._pace = pace
        self._ids = itertools.count(1)
        self._steps: deque[Step] = deque()
        self._more = asyncio.Event()
        self._playing = asyncio.Lock()  # one step at a time, in order, however they are played
        self._jobs: Jobs | None = None

    def relay_to(self, jobs: Jobs) -> None:
        self._jobs = jobs

    def start(self, forge: ForgeName, new: NewDeployment, *, fails: bool) -> str:
        """Take a new deployment; its id on the forge."""
        forge_id = str(next(self._ids))
        key = f"{forge}:{new.repo}:{forge_id}"  # bot.deploys.model.Deployment.key
        self._steps.extend((Step(key, "in_progress"), Step(key, "failure" if fails else "success")))
        self._more.set()
        return forge_id

    def planned(self) -> list[tuple[str, str]]:
        """The steps still to come: (deployment, status), in the order they will be played."""
        return [(step.deployment, step.status) for step in self._steps]

    async def settle(self) -> None:
        """Play every step still to come, now, in order."""
        while self._steps:
            await self._play_next()

    async def run(self) -> None:
        """Play the steps a moment apart, as they come, until cancelled."""
        while True:
            if not self._steps:
                self._more.clear()
                await self._more.wait()
            await asyncio.sleep(self._pace)
            await self._play_next()

    async def _play_next(self) -> None:
        async with self._playing:
            if not self._steps:
                return  # settled meanwhile
            step = self._steps.popleft()
            if self._jobs is None:
                return
            job = Job.of(DeployStatusReport(step.deployment, step.status, None), trace={"sandbox": step.deployment})
            try:
                await self._jobs.run(Delivery(job, receipt=f"sandbox:{job.id}", redelivered=False))
            except Exception:  # one lost step must not end the console; the log says which
                log.exception("the sandbox CD could not report a step", extra={"deployment": step.deployment})
