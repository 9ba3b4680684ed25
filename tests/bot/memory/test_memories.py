"""Memory rules on the fake store: dedupe, scopes, bounds, recall, redaction (and once on the embedded store)."""

from __future__ import annotations

import pytest

from bot.errors import CommandError
from bot.fakes import ManualClock
from bot.memory.fakes import FakeMemoryStore
from bot.memory.memories import Memories, digest
from bot.stores.memory import RedisMemoryStore


@pytest.fixture
def memories() -> Memories:
    return Memories(FakeMemoryStore(), ManualClock(step=1.0))


async def test_the_same_learning_is_stored_once(memories: Memories) -> None:
    first = await memories.remember("global", "mistake", "Never deploy on Fridays!", author="U1", source="command")
    again = await memories.remember("global", "mistake", "  never DEPLOY on fridays ", author="U2", source="answer")
    assert again.id == first.id
    assert again.uses == 1
    assert [m.id for m in await memories.listing(["global"], None)] == [first.id]
    other_scope = await memories.remember(
        "repo:acme/api", "mistake", "Never deploy on Fridays", author="U1", source="command"
    )
    assert other_scope.id != first.id


async def test_secrets_are_redacted_before_storing(memories: Memories) -> None:
    stored = await memories.remember(
        "global",
        "integration",
        "Grafana token is glpat-abcdefghijklmnopqrstuvwx, use it",
        author="U1",
        source="command",
    )
    assert "glpat-" not in stored.content
    assert "[REDACTED gitlab-token]" in stored.content
    [listed] = await memories.listing(["global"], "integration")
    assert "glpat-" not in listed.content


async def test_recall_ranks_by_relevance_within_a_budget(memories: Memories) -> None:
    for text, kind in [
        ("Postgres failovers take 40 seconds; pause writers first", "mistake"),
        ("Use blue-green deploys for the api service", "pattern"),
        ("Grafana dashboards live in the observability repo", "context"),
        ("The api service needs the migration job to finish before rollout", "guideline"),
    ]:
        await memories.remember("global", kind, text, author="U1", source="command")
    recalled = await memories.recall(["global"], "rollout of the api service after a migration?", budget=30)
    assert [m.content for m in recalled][:2] == [
        "The api service needs the migration job to finish before rollout",
        "Use blue-green deploys for the api service",
    ]
    assert sum(m.tokens for m in recalled) <= 30
    everything = await memories.recall(["global"], "", budget=10_000)
    assert len(everything) == 4  # with nothing to match, the task still reviews what the team knows


async def test_recall_only_looks_in_the_scopes_asked(memories: Memories) -> None:
    await memories.remember(
        "repo:acme/api", "context", "api staging runs on the blue cluster", author="U1", source="command"
    )
    await memories.remember(
        "repo:acme/web", "context", "web staging runs on the green cluster", author="U1", source="command"
    )
    recalled = await memories.recall(["global", "repo:acme/api"], "where does staging run", budget=1_000)
    assert [m.scope for m in recalled] == ["repo:acme/api"]


async def test_recall_across_four_scopes_ranks_by_relevance_not_by_scope(memories: Memories) -> None:
    scopes = ["global", "service:api", "repo:acme/api", "channel:C1"]
    for scope, text in [
        ("global", "Grafana dashboards live in the observability repo"),
        ("service:api", "api rollout waits for the migration job"),
        ("repo:acme/api", "The api migration job needs a database backup first"),
        ("channel:C1", "Ask in this channel before a rollout"),
        ("service:web", "web rollout waits for the migration job"),  # a scope not asked
    ]:
        await memories.remember(scope, "guideline", text, author="U1", source="command")
    recalled = await memories.recall(scopes, "api migration rollout", budget=1_000)
    assert [m.scope for m in recalled] == ["service:api", "repo:acme/api", "channel:C1", "global"]
    assert [m.scope for m in await memories.recall(scopes[::-1], "api migration rollout", budget=1_000)] == [
        m.scope for m in recalled
    ]
    twice = await memories.recall([*scopes, "service:api"], "api migration rollout", budget=1_000)
    assert [m.id for m in twice] == [m.id for m in recalled]


async def test_the_scope_bound_drops_the_least_recalled_oldest() -> None:
    memories = Memories(FakeMemoryStore(), ManualClock(step=1.0), per_scope=3)
    names = ["alpha", "bravo", "charlie"]
    ids = [
        (await memories.remember("global", "pattern", f"the {name} rollout works", author="U1", source="command")).id
        for name in names
    ]
    [used] = await memories.recall(["global"], "alpha", budget=6)  # used once: worth keeping
    assert used.id == ids[0]
    await memories.remember("global", "pattern", "the delta rollout works", author="U1", source="command")
    await memories.remember("channel:C1", "pattern", "the echo rollout works", author="U1", source="command")
    kept = {m.id for m in await memories.listing(["global"], "pattern")}
    assert len(kept) == 3
    assert ids[0] in kept
    assert ids[1] not in kept  # never recalled and the oldest of the rest
    assert len(await memories.listing(["channel:C1"], None)) == 1  # another scope has its own bound


async def test_forget_only_in_visible_scopes(memories: Memories) -> None:
    stored = await memories.remember("repo:acme/api", "context", "api uses port 8443", author="U1", source="command")
    with pytest.raises(CommandError):
        await memories.forget(stored.id, ["global", "repo:acme/web"])
    assert (await memories.forget(stored.id, ["global", "repo:acme/api"])).id == stored.id
    assert await memories.recall(["repo:acme/api"], "api port", budget=100) == []


async def test_export_and_import_round_trip(memories: Memories) -> None:
    await memories.remember(
        "global", "strategy", "Canary 5% for an hour before full rollout", author="U1", source="command"
    )
    await memories.remember(
        "service:api", "performance", "api p99 doubled after enabling gzip", author="U2", source="tool"
    )
    backup = await memories.export()
    restored = Memories(FakeMemoryStore(), ManualClock(step=1.0))
    assert await restored.export() == []
    assert await restored.import_(backup) == 2
    assert await restored.import_(backup) == 0  # duplicates are skipped
    assert sorted(m.content for m in await restored.export()) == sorted(m.content for m in backup)


async def test_the_embedded_store_keeps_memories_the_same_way() -> None:
    import fakeredis  # only here: the rest of this module needs no store library

    store = Memories(RedisMemoryStore(fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())), ManualClock(step=1.0))
    await store.remember(
        "global", "pattern", "Use blue-green deploys for the api service", author="U1", source="command"
    )
    [recalled] = await store.recall(["global"], "blue-green api", budget=100)
    assert recalled.content.startswith("Use blue-green")
    await store.remember("service:api", "mistake", "api blue-green switch drops sessions", author="U1", source="tool")
    both = await store.recall(["global", "service:api", "channel:C1"], "blue-green api sessions", budget=100)
    assert [m.scope for m in both] == ["service:api", "global"]
    bounded = Memories(
        RedisMemoryStore(fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())), ManualClock(step=1.0), per_scope=1
    )
    await bounded.remember("global", "pattern", "canary for an hour first", author="U1", source="command")
    await bounded.remember("global", "pattern", "roll back first, debug later", author="U1", source="command")
    assert [m.content for m in await bounded.listing(["global"], None)] == ["roll back first, debug later"]


def test_digests_ignore_case_spacing_and_punctuation() -> None:
    assert digest("Never deploy on Fridays!") == digest("  never   deploy on fridays ")
    assert digest("never deploy on fridays") != digest("always deploy on fridays")


async def test_a_near_duplicate_reinforces_the_kept_memory(memories: Memories) -> None:
    first = await memories.remember(
        "service:api", "strategy", "Purge the CDN cache after deploying web", author="U1", source="command"
    )
    again = await memories.remember(
        "service:api", "strategy", "after web deploys, purge the CDN cache", author="U2", source="tool"
    )
    other = await memories.remember(
        "service:api", "strategy", "Warm the CDN cache after deploying api", author="U2", source="tool"
    )
    assert again.id == first.id
    assert again.uses == first.uses + 1
    assert other.id != first.id
    assert {m.id for m in await memories.listing(["service:api"], None)} == {first.id, other.id}


@pytest.mark.parametrize("content", ["tiny", "x" * 101, "  a  b  "])
async def test_lessons_outside_5_to_100_characters_are_refused_not_cut(memories: Memories, content: str) -> None:
    with pytest.raises(CommandError, match="characters"):
        await memories.remember("global", "context", content, author="U1", source="command")
    assert await memories.listing(["global"], None) == []
