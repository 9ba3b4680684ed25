"""Deploys: from a request in chat to a GitHub Deployment or a GitLab pipeline.

The order of checks is the safety story, and bot.deploys.commands runs them
in this order: the service and environment must exist; the person must be
allowed (ops.yaml's deployers, then write access on the forge; a check that
fails or crashes denies); nobody else may hold a lock; the ref must resolve,
once, to the commit that is deployed; only one deploy of a service to an
environment is in flight at a time; protected environments then wait for an
approval by someone else (bot.deploys.approvals), holding the in-flight claim.
What in flight means is :mod:`bot.deploys.in_flight`.

A dry run (``--dry-run``) is the same request on :meth:`Deploys.as_dry_run`:
the same checks in the same order, refusing in the same words, but its
refusals are recorded as the dry run's outcome and it can claim and create
nothing; the in-flight check looks without claiming.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import NoReturn

from bot.config import OpsConfig, Service
from bot.conversation.readers import Check
from bot.deploys.audit import DRY_RUN, AuditEntry
from bot.deploys.in_flight import CREATION_WINDOW, IN_FLIGHT_TIMEOUT, in_flight_text
from bot.deploys.locks import Locking
from bot.deploys.model import Deployment, InFlight, NewDeployment, Plan, Target
from bot.deploys.ports import AuditLog, DeploymentStore, Forge
from bot.errors import CommandError, UpstreamRejected
from bot.forges import ForgeName, push_access, repository
from bot.model import GitHubThread, GitLabThread, Person, Place, SlackThread

log = logging.getLogger(__name__)

TERMINAL = {"success", "failure", "error", "inactive", "cancelled"}


def _stage(status: str) -> int:
    """How far along a status is: waiting, running, finished."""
    return 2 if status in TERMINAL else 1 if status == "in_progress" else 0


def reported(before: Deployment, status: str, url: str | None) -> Deployment:
    """The deployment after a status report. Forges may deliver statuses out of order, and
    workers may relay them out of order: a report of an earlier stage than the one recorded
    (``in_progress`` after ``success``) is stale and changes nothing."""
    if _stage(status) < _stage(before.status):
        return before
    return replace(before, status=status, url=url or before.url)


class Deploys:
    def __init__(
        self,
        config: OpsConfig,
        forges: dict[ForgeName, Forge],
        store: DeploymentStore,
        locking: Locking,
        audit: AuditLog,
        clock: Callable[[], float],
        *,
        dry_run: bool = False,
    ) -> None:
        self._config = config
        self._forges = forges
        self._store = store
        self._locking = locking
        self._audit = audit
        self._clock = clock
        self.dry_run = dry_run

    def as_dry_run(self) -> Deploys:
        """These deploys for a dry run: every check, nothing claimed or created, refusals audited as the dry run's."""
        return Deploys(self._config, self._forges, self._store, self._locking, self._audit, self._clock, dry_run=True)

    # -- choosing what to deploy -------------------------------------------------------
    def target(self, service_name: str | None, environment: str, place: Place) -> Target:
        service = self._service(service_name, place)
        if environment not in service.environments:
            raise CommandError(
                f"`{service.name}` has no environment `{environment}` (it has: {', '.join(service.environments)})."
            )
        return Target(service, self._config.environments[environment])

    def named_service(self, name: str) -> Service:
        service = self._config.services.get(name)
        if service is None:
            known = ", ".join(sorted(self._config.services)) or "none are configured"
            raise CommandError(f"There is no service called `{name}` (known: {known}).")
        return service

    def _service(self, name: str | None, place: Place) -> Service:
        if name is not None:
            return self.named_service(name)
        here = repository(place)
        matches = [s for s in self._config.services.values() if here is not None and here.name in (s.github, s.gitlab)]
        if len(matches) != 1:
            raise CommandError(
                "Say which service to deploy: `deploy <service> to <env>`"
                if not matches
                else f"This repository has several services ({', '.join(s.name for s in matches)}); name one."
            )
        return matches[0]

    def forge(self, target: Target) -> Forge:
        return self._forge_of(target.service, "deploy")

    def _forge_of(self, service: Service, what: str) -> Forge:
        name: ForgeName = "github" if service.github else "gitlab"
        forge = self._forges.get(name)
        if forge is None:
            raise CommandError(f"opsbot has no {name} credentials, so it can't {what} `{service.name}`.")
        return forge

    # -- who may ask --------------------------------------------------------------------
    async def authorise(self, person: Person, target: Target) -> None:
        """Deny unless ``person`` may deploy ``target``; a failed check denies."""
        if not target.environment.may_deploy(person.handle):
            await self._refuse(person, target, "not a deployer of this environment")
            raise CommandError(f"You may not deploy to `{target.environment.name}`: you are not one of its deployers.")
        if person.platform != target.forge:
            return  # a Slack or console user is trusted by ops.yaml alone
        access = await push_access(self._forges, target.forge, target.repo, person)
        if access.failure is not None:
            await self._refuse(person, target, f"permission check failed ({access.failure.__class__.__name__})")
            raise CommandError(
                f"I couldn't confirm your access to `{target.repo}`, so I won't deploy. ({access.failure})"
            ) from access.failure
        if not access:
            await self._refuse(person, target, "no write access to the repository")
            raise CommandError(f"You need write access to `{target.repo}` to deploy it.")

    async def requested(self, person: Person, target: Target, detail: str) -> None:
        """Audit a request as it is asked; a dry run's one entry is its outcome instead."""
        if not self.dry_run:
            await self._record("deploy.requested", person, target, detail)

    async def _refuse(self, person: Person, target: Target, why: str) -> None:
        await self.refused(person, why, target.environment.name, target.service.name)

    async def refused(self, person: Person, why: str, environment: str | None, service: str | None) -> None:
        """Audit a refused request; in a dry run, the refusal is what the dry run found."""
        if self.dry_run:
            await self.record(DRY_RUN, person, f"refused: {why}", environment, service)
        else:
            await self.record("deploy.refused", person, why, environment, service)

    async def _record(self, action: str, person: Person, target: Target, detail: str) -> None:
        await self.record(action, person, detail, target.environment.name, target.service.name)

    async def record(
        self, action: str, person: Person, detail: str, environment: str | None, service: str | None
    ) -> None:
        """One audit entry about a service in an environment."""
        await self._audit.record(AuditEntry(action, person, detail, self._clock(), environment, service))

    async def check_lock(self, person: Person, target: Target) -> None:
        held = await self._locking.blocking(person, target.environment.name, target.service.name)
        if held is not None:
            reason = f": {held.reason}" if held.reason else " (no reason given)"
            await self._refuse(person, target, f"locked by {held.holder.handle}")
            raise CommandError(f"`{held.scope.label}` is locked by {held.holder.ref}{reason}. Nothing was deployed.")

    async def resolve_ref(self, target: Target, ref: str | None, place: Place) -> tuple[str, str]:
        return await self._resolve_ref(self.forge(target), target.repo, ref, place)

    async def _resolve_ref(self, forge: Forge, repo: str, ref: str | None, place: Place) -> tuple[str, str]:
        """(ref, sha): ``ref``, else the head of the PR/MR asked from, else the default branch."""
        try:
            if ref is None and isinstance(place, GitHubThread) and place.is_pull_request and place.repo == repo:
                return await forge.change_head(repo, place.number)
            if (
                ref is None
                and isinstance(place, GitLabThread)
                and place.kind == "merge_request"
                and place.project == repo
            ):
                return await forge.change_head(repo, place.iid)
            return await forge.resolve(repo, ref)
        except UpstreamRejected as exc:
            if exc.status in (404, 422) and ref is not None:
                raise CommandError(f"`{ref}` is not a branch, tag or commit of `{repo}`.") from exc
            raise

    async def checks(
        self, service_name: str | None, ref: str | None, place: Place
    ) -> tuple[Service, str, str, tuple[Check, ...]]:
        """(service, ref, sha, CI results) for a service's ref, or the PR/MR asked from."""
        service = self._service(service_name, place)
        forge, repo = self._forge_of(service, "read the CI of"), service.github or service.gitlab or ""
        resolved, sha = await self._resolve_ref(forge, repo, ref, place)
        return service, resolved, sha, await forge.checks(repo, sha)

    async def history(self, service_name: str, environment: str | None, limit: int) -> list[Deployment]:
        """Newest first: ``service``'s deployments to ``environment``, or to each of its environments."""
        service = self.named_service(service_name)
        environments = [environment] if environment else list(service.environments)
        found: list[Deployment] = []
        for each in environments:
            found.extend(await self._store.history(service.name, each, limit))
        return sorted(found, key=lambda d: -d.created_at)[:limit]

    # -- creating ----------------------------------------------------------------------
    def _flight(self, plan: Plan, token: str, until: float, **found: str | None) -> InFlight:
        origin = replace(plan.origin, response_url=None) if isinstance(plan.origin, SlackThread) else plan.origin
        return InFlight(
            token, plan.target.service.name, plan.target.environment.name, plan.ref, plan.sha, plan.requester,
            origin, until, **found,
        )  # fmt: skip

    async def claim(self, plan: Plan, token: str, until: float, approval: str | None = None) -> None:
        """Hold ``plan``'s service and environment under ``token``, or refuse with the deploy in flight."""
        if self.dry_run:  # every way to create anything passes here
            raise RuntimeError("a dry run claims and creates nothing")
        holder = await self._store.claim(self._flight(plan, token, until, approval=approval), self._clock())
        if holder is not None:
            await self._refuse_in_flight(plan, holder)

    async def check_in_flight(self, plan: Plan) -> None:
        """Refuse as :meth:`claim` would if another deploy holds ``plan``'s service and environment; claim nothing."""
        holder = await self._store.in_flight(plan.target.service.name, plan.target.environment.name)
        if holder is not None and holder.until > self._clock():  # a lapsed claim is free, as claim() sees it
            await self._refuse_in_flight(plan, holder)

    async def _refuse_in_flight(self, plan: Plan, holder: InFlight) -> NoReturn:
        await self._refuse(plan.requester, plan.target, f"{holder.ref} ({holder.sha[:7]}) is in flight")
        raise CommandError(in_flight_text(holder, plan.sha))

    async def release(self, plan: Plan, token: str) -> None:
        await self._store.release(plan.target.service.name, plan.target.environment.name, token=token)

    async def create(self, plan: Plan, token: str | None = None) -> Deployment:
        """Create the deployment, if no other deploy of the service to the environment is in flight.

        ``token`` is the claim already held for it (an approval's id); a direct deploy claims anew.
        """
        person, target, ref, sha = plan.requester, plan.target, plan.ref, plan.sha
        service, environment = target.service.name, target.environment.name
        token = token or InFlight.new_token()
        await self.claim(plan, token, self._clock() + CREATION_WINDOW)
        try:
            # Checked again under the claim: a lock may have been taken meanwhile.
            await self.check_lock(person, target)
            forge_id, url = await self.forge(target).create(
                NewDeployment(
                    target.repo, ref, sha, environment, service, person, target.environment.protected, plan.origin
                )
            )
            deployment = Deployment(
                forge=target.forge, repo=target.repo, forge_id=forge_id, service=service, environment=environment,
                ref=ref, sha=sha, requester=person, origin=plan.origin, status_key=plan.status_key, url=url,
                created_at=self._clock(), rollback_of=plan.rollback_of,
            )  # fmt: skip
            # The claim names the deployment before the record is saved: a status can only be
            # matched to a saved record, so the one that ends it always finds the claim to free.
            flight = self._flight(plan, token, self._clock() + IN_FLIGHT_TIMEOUT, deployment=deployment.key, url=url)
            if await self._store.claim(flight, self._clock()) is not None:
                log.warning("a deploy's claim lapsed while it was created", extra={"deployment": deployment.key})
            await self._store.save(deployment)
        except BaseException:
            await self.release(plan, token)
            raise
        await self._record("deploy.created", person, target, f"{ref} ({sha[:7]}), {target.forge} #{forge_id}")
        return deployment

    async def latest(self, service: str | None) -> list[Deployment]:
        """The newest deployment of each service (or of ``service``) to each of its environments."""
        # An unknown name is an error naming the known ones, not "none yet".
        services = list(self._config.services.values()) if service is None else [self.named_service(service)]
        found: list[Deployment] = []
        for each in services:
            for environment in each.environments:
                found.extend(await self._store.history(each.name, environment, 1))
        return found

    async def previous_success(self, target: Target) -> Deployment:
        """The ref to roll back to: the last success before the current one."""
        successes = [
            d
            for d in await self._store.history(target.service.name, target.environment.name, 50)
            if d.status == "success"
        ]
        if len(successes) < 2:
            raise CommandError(
                f"There is no earlier successful deploy of `{target.service.name}` "
                f"to `{target.environment.name}` to roll back to."
            )
        current = successes[0]
        return next((d for d in successes[1:] if d.sha != current.sha), successes[1])

    async def key_for_commit(self, forge: ForgeName, repo: str, environment: str, sha_prefix: str) -> str | None:
        """The newest deployment opsbot made of a commit to an environment (GitLab's
        Deployment hook names the commit, not the pipeline)."""
        if len(sha_prefix) < 7:
            return None
        for service in self._config.services.values():
            if (service.github if forge == "github" else service.gitlab) != repo:
                continue
            for deployment in await self._store.history(service.name, environment, 20):
                if deployment.forge == forge and deployment.sha.startswith(sha_prefix):
                    return deployment.key
        return None

    async def status_changed(self, key: str, status: str, url: str | None) -> tuple[Deployment, Deployment] | None:
        """Record a status from the forge; (before, after), or None if it isn't ours."""
        change = await self._store.update(key, lambda before: reported(before, status, url))
        if change is None:
            return None
        before, after = change
        if after is not before:
            await self._still_in_flight(after)
        return before, after

    async def _still_in_flight(self, deployment: Deployment) -> None:
        """A final status frees the service and environment; any other status re-arms the timeout."""
        if deployment.status in TERMINAL:
            await self._store.release(deployment.service, deployment.environment, deployment=deployment.key)
            return
        holder = await self._store.in_flight(deployment.service, deployment.environment)
        if holder is not None and holder.deployment == deployment.key:
            renewed = replace(holder, until=self._clock() + IN_FLIGHT_TIMEOUT, url=deployment.url or holder.url)
            await self._store.claim(renewed, self._clock())  # a no-op if another took it meanwhile
