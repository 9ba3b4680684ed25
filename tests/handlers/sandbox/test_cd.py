"""The sandbox CD: each deployment's steps in order, as deploy.status jobs, settled at once or played as they come."""

from __future__ import annotations

import asyncio

from bot.deploys.model import Deployment, NewDeployment
from bot.deploys.status_report import DeployStatusReport
from bot.jobs.kinds import Delivery
from bot.model import ConsoleThread, Person
from handlers.sandbox.cd import SandboxCD

SHELL = Person("console", "U_SHELL")


def new(repo: str, ref: str) -> NewDeployment:
    return NewDeployment(repo, ref, "0" * 40, "staging", "api", SHELL, False, ConsoleThread("C_SHELL"))


class Jobs:
    """The dispatcher as the CD sees it: it runs what it is handed (and can be made to fail once)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.ran: list[tuple[str, str]] = []
        self.kinds: set[str] = set()
        self._fail = fail_first
        self.enough = asyncio.Event()

    async def run(self, delivery: Delivery) -> None:
        if self._fail:
            self._fail = False
            raise RuntimeError("the store went away")
        report = DeployStatusReport.from_json(delivery.job.payload)
        assert isinstance(report.deployment, str)
        self.kinds.add(delivery.job.kind)
        self.ran.append((report.deployment, report.status))
        if len(self.ran) == 4:
            self.enough.set()


async def test_settling_plays_every_step_now_in_order_as_deploy_status_jobs() -> None:
    cd, jobs = SandboxCD(), Jobs()
    cd.relay_to(jobs)
    first = cd.start("github", new("acme/api", "main"), fails=False)
    second = cd.start("gitlab", new("acme/web", "broken"), fails=True)
    await cd.settle()
    assert jobs.ran == [
        ("github:acme/api:1", "in_progress"), ("github:acme/api:1", "success"),
        ("gitlab:acme/web:2", "in_progress"), ("gitlab:acme/web:2", "failure"),
    ]  # fmt: skip
    assert jobs.kinds == {DeployStatusReport.KIND}
    assert cd.planned() == []
    # The keys are the ones the deploys feature gives the deployments the forge made.
    made = Deployment("github", "acme/api", first, "api", "staging", "main", "0" * 40, SHELL, ConsoleThread("C"), "k")
    assert made.key == "github:acme/api:1"
    assert second == "2"


async def test_one_step_that_fails_to_be_told_does_not_hold_up_the_others() -> None:
    cd, jobs = SandboxCD(), Jobs(fail_first=True)
    cd.relay_to(jobs)
    cd.start("github", new("acme/api", "main"), fails=False)
    await cd.settle()
    assert jobs.ran == [("github:acme/api:1", "success")]


async def test_in_the_background_steps_are_played_as_they_come() -> None:
    cd, jobs = SandboxCD(pace=0), Jobs()
    cd.relay_to(jobs)
    playing = asyncio.create_task(cd.run())
    try:
        cd.start("github", new("acme/api", "main"), fails=False)
        cd.start("github", new("acme/api", "v1.0.0"), fails=False)
        await asyncio.wait_for(jobs.enough.wait(), 30)
    finally:
        playing.cancel()
    assert [status for _, status in jobs.ran] == ["in_progress", "success", "in_progress", "success"]
    await cd.settle()  # nothing is left to settle, and nothing is played twice
    assert len(jobs.ran) == 4
