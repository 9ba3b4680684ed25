"""Todo lists in Redis, found by the thread's name and by the names it had before."""

from __future__ import annotations

import orjson
import redis.asyncio as redis

from bot.model import GitHubThread, SlackThread
from bot.stores.todos import RedisTodoStore
from bot.todos.lists import Todo, to_json

TODOS = [Todo("[Ops] roll back api", "in_progress"), Todo("[Ops] tell #ops", "pending")]


async def test_a_list_is_found_however_a_webhook_describes_the_pull_request(redis_client: redis.Redis) -> None:
    store = RedisTodoStore(redis_client)
    await store.save(GitHubThread("acme/api", 7, is_pull_request=True), TODOS)
    assert await store.load(GitHubThread("acme/api", 7, is_pull_request=False)) == TODOS
    assert await store.load(GitHubThread("acme/api", 8, is_pull_request=True)) == []


async def test_a_list_saved_before_the_pull_request_flag_left_the_name_is_still_read(
    redis_client: redis.Redis,
) -> None:
    # Exactly as an earlier release wrote it for a comment on a pull request.
    await redis_client.set("opsbot:todos:acme/api:7:True:github", orjson.dumps(to_json(TODOS)))
    store = RedisTodoStore(redis_client)
    place = GitHubThread("acme/api", 7, is_pull_request=True)
    assert await store.load(place) == TODOS
    changed = [TODOS[0]]
    await store.save(place, changed)
    assert await store.load(place) == changed, "the newer list, saved under the one name, wins"


async def test_a_slack_threads_list_keeps_its_key(redis_client: redis.Redis) -> None:
    store = RedisTodoStore(redis_client)
    await store.save(SlackThread("C_OPS", "1700000000.000100", response_url="https://hooks.example/x"), TODOS)
    assert await redis_client.exists("opsbot:todos:C_OPS:1700000000.000100:slack")
    assert await store.load(SlackThread("C_OPS", "1700000000.000100")) == TODOS
