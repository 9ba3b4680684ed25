"""The deploy service's safety rules that need a controllable clock or a broken store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import redis.asyncio as redis

from bot.config import OpsConfig
from bot.conversation.replies import Replies
from bot.conversation.reporting import Reporter
from bot.deploys.commands import DeployCommands
from bot.deploys.deploying import Deploys
from bot.deploys.grammar import Approve, Deploy
from bot.deploys.in_flight import IN_FLIGHT_TIMEOUT
from bot.deploys.locks import Locking
from bot.errors import CommandError, StoreUnavailable, UpstreamRejected
from bot.fakes import ManualClock
from bot.model import Answer, ChatMessage, Person, SlackThread
from bot.settings import Settings
from bot.stores.approvals import RedisApprovalStore
from bot.stores.audit import RedisAuditLog
from bot.stores.deploys import RedisDeploymentStore
from bot.stores.locks import RedisLockStore
from bot.stores.marks import RedisMarks
from tests.redis_server import free_port

if TYPE_CHECKING:
    from tests.harness import Emulators

API = "acme/api"


def commands(client: redis.Redis, emulators: Emulators, clock: ManualClock, redis_url: str) -> DeployCommands:
    from handlers.app import build_integrations
    from tests.harness import OPS_CONFIG, bot_env

    config = OpsConfig.load(OPS_CONFIG)
    integrations = build_integrations(Settings.from_env(bot_env(redis_url, emulators)))
    chats, forges = integrations.chats, integrations.forges
    audit = RedisAuditLog(client)
    locking = Locking(RedisLockStore(client), audit, config, clock)
    deploys = Deploys(config, forges, RedisDeploymentStore(client), locking, audit, clock)
    marks = RedisMarks(client)
    return DeployCommands(
        deploys, RedisApprovalStore(client), Reporter(chats, Replies(marks), marks), audit, config, clock
    )


def said(by: str, text: str) -> ChatMessage:
    return ChatMessage(f"m-{by}-{text}", Person("slack", by), SlackThread("C_OPS"), text, "slash")


async def test_an_expired_approval_deploys_nothing(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    emulators.github.add_repo(API)
    clock = ManualClock()
    deploying = commands(redis_client, emulators, clock, redis_url)
    asked = await deploying.deploy(Deploy("api", None, "production"), said("U_ALICE", "deploy"))
    assert isinstance(asked, Answer)
    approval_id = asked.buttons[0].value
    clock.now += 31 * 60
    with pytest.raises(CommandError, match="expired"):
        await deploying.approve(Approve(approval_id), said("U_CAROL", "approve"))
    assert emulators.github.deployments(API) == []


async def test_with_redis_unreachable_nothing_is_deployed(redis_url: str, emulators: Emulators) -> None:
    emulators.github.add_repo(API)
    unreachable = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    deploying = commands(unreachable, emulators, ManualClock(), redis_url)
    with pytest.raises(StoreUnavailable):
        await deploying.deploy(Deploy("api", None, "staging"), said("U_ALICE", "deploy"))
    assert emulators.github.deployments(API) == []
    await unreachable.aclose()


async def test_a_deploy_without_any_status_stops_being_in_flight_after_the_timeout(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    emulators.github.add_repo(API)
    clock = ManualClock()
    deploying = commands(redis_client, emulators, clock, redis_url)
    await deploying.deploy(Deploy("api", None, "staging"), said("U_ALICE", "deploy"))
    clock.now += IN_FLIGHT_TIMEOUT - 60
    with pytest.raises(CommandError, match="already deploying"):
        await deploying.deploy(Deploy("api", None, "staging"), said("U_BOB", "deploy"))
    [first] = emulators.github.deployments(API)
    # A status that isn't final re-arms the timeout from the moment it arrives.
    await deploying.status_changed(f"github:{API}:{first['id']}", "in_progress", None)
    clock.now += IN_FLIGHT_TIMEOUT - 60
    with pytest.raises(CommandError, match="already deploying"):
        await deploying.deploy(Deploy("api", None, "staging"), said("U_BOB", "deploy"))
    clock.now += 120
    await deploying.deploy(Deploy("api", None, "staging"), said("U_BOB", "deploy"))
    assert len(emulators.github.deployments(API)) == 2


async def test_a_deploy_the_forge_refused_is_not_left_in_flight(
    redis_url: str, redis_client: redis.Redis, emulators: Emulators
) -> None:
    emulators.github.add_repo(API)
    deploying = commands(redis_client, emulators, ManualClock(), redis_url)
    emulators.github.fail_next("POST", r"/repos/acme/api/deployments$", 422)
    with pytest.raises(UpstreamRejected):
        await deploying.deploy(Deploy("api", None, "staging"), said("U_ALICE", "deploy"))
    await deploying.deploy(Deploy("api", None, "staging"), said("U_ALICE", "deploy again"))
    assert len(emulators.github.deployments(API)) == 1
