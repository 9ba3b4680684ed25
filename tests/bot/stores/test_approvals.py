"""Pending approvals in Redis, found by the thread's name and by the names it had before."""

from __future__ import annotations

import time

import redis.asyncio as redis

from bot.deploys.approvals import PendingApproval
from bot.model import GitHubThread, Person, Place, SlackThread
from bot.stores.approvals import RedisApprovalStore


def approval(origin: Place, ident: str = "a1b2c3") -> PendingApproval:
    return PendingApproval(
        id=ident,
        service="api",
        environment="production",
        ref="main",
        sha="0" * 40,
        requester=Person("github", "octocat"),
        origin=origin,
        status_key="deploy:1:status",
        expires_at=time.time() + 600,
    )


async def test_an_approval_asked_with_one_slash_command_is_found_with_the_next(redis_client: redis.Redis) -> None:
    store = RedisApprovalStore(redis_client)
    await store.open(approval(SlackThread("C_OPS", response_url="https://hooks.example/1")))
    found = await store.latest_for(SlackThread("C_OPS", response_url="https://hooks.example/2"))
    assert found is not None
    assert found.id == "a1b2c3"
    assert await store.latest_for(SlackThread("C_OTHER")) is None


async def test_an_approval_opened_under_the_threads_earlier_name_is_found(redis_client: redis.Redis) -> None:
    store = RedisApprovalStore(redis_client)
    pending = approval(GitHubThread("acme/api", 7, is_pull_request=True))
    await store.open(pending)
    # As an earlier release pointed at it: the thread named with its pull-request flag.
    pointer = await redis_client.get("opsbot:approvals-at:acme/api:7:False:github")
    await redis_client.delete("opsbot:approvals-at:acme/api:7:False:github")
    await redis_client.set("opsbot:approvals-at:acme/api:7:True:github", pointer or b"")
    found = await store.latest_for(GitHubThread("acme/api", 7, is_pull_request=True))
    assert found == pending
    assert await store.latest_for(GitHubThread("acme/api", 8, is_pull_request=True)) is None
