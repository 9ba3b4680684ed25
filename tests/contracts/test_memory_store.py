"""MemoryStore: the fake and the Redis store agree, recall ranking included."""

from __future__ import annotations

import pytest

from bot.commands.types import MemoryType
from bot.memory.fakes import FakeMemoryStore
from bot.memory.memories import digest, words
from bot.memory.model import Memory
from bot.memory.ports import MemoryStore
from bot.stores.memory import RedisMemoryStore
from tests.contracts.conftest import Backend


@pytest.fixture
def store(backend: Backend) -> MemoryStore:
    return FakeMemoryStore() if backend.server is None else RedisMemoryStore(backend.client)


def memory(n: int, content: str, *, scope: str = "global", type: MemoryType = "mistake", uses: int = 0) -> Memory:
    return Memory(f"m-{n:02}", scope, type, content, "U1", "command", float(n), float(n), uses)


async def remember(store: MemoryStore, m: Memory) -> Memory:
    return await store.add(m, digest(m.content), words(m.content))


async def test_one_memory_per_digest_and_scope(store: MemoryStore) -> None:
    first = await remember(store, memory(1, "Never deploy on Fridays"))
    again = await store.add(memory(2, "never deploy on fridays!"), digest("Never deploy on Fridays"), ["deploy"])
    assert again.id == first.id
    assert (again.uses, again.last_used) == (1, 2.0)
    elsewhere = await remember(store, memory(3, "Never deploy on Fridays", scope="repo:acme/api"))
    assert elsewhere.id == "m-03"
    assert await store.get("m-01") == again
    assert await store.count("global", None) == 1


async def test_listing_is_newest_first_across_scopes_and_by_type(store: MemoryStore) -> None:
    await remember(store, memory(1, "api runs on port 8080", type="integration"))
    await remember(store, memory(2, "web deploys need a cache purge", scope="service:web"))
    await remember(store, memory(3, "staging is shared with QA"))
    await remember(store, memory(4, "nobody reads the wiki", scope="channel:C9"))
    listed = await store.listing(["global", "service:web"], None, 10)
    assert [m.id for m in listed] == ["m-03", "m-02", "m-01"]
    assert [m.id for m in await store.listing(["global", "service:web"], None, 2)] == ["m-03", "m-02"]
    assert [m.id for m in await store.listing(["global"], "integration", 10)] == ["m-01"]
    assert await store.count("global", "mistake") == 1
    assert await store.count("global", None) == 2
    assert await store.count("nowhere", None) == 0


async def test_the_least_recalled_then_oldest_go_first(store: MemoryStore) -> None:
    await remember(store, memory(1, "first learning", uses=3))
    await remember(store, memory(2, "second learning", uses=0))
    await remember(store, memory(3, "third learning", uses=0))
    await remember(store, memory(4, "fourth learning", type="integration", uses=0))
    await remember(store, memory(5, "elsewhere", scope="channel:C9"))
    assert [m.id for m in await store.least_recalled("global", 3)] == ["m-02", "m-03", "m-04"]
    # Recalling a memory (or teaching it again) moves it back in the queue.
    await store.mark_used([memory(2, "second learning"), memory(2, "second learning")], 9.0)
    await store.add(memory(6, "third learning"), digest("third learning"), [])
    assert [m.id for m in await store.least_recalled("global", 3)] == ["m-04", "m-03", "m-02"]
    await store.delete("m-04")
    assert [m.id for m in await store.least_recalled("global", 9)] == ["m-03", "m-02", "m-01"]
    assert await store.least_recalled("global", 0) == []


async def test_a_memory_deleted_since_its_recall_stays_deleted(store: MemoryStore) -> None:
    kept = await remember(store, memory(1, "short lived"))
    await store.delete(kept.id)
    await store.mark_used([kept], 5.0)
    assert await store.get(kept.id) is None
    assert await store.least_recalled("global", 5) == []


async def test_a_deleted_memory_is_gone_from_every_index(store: MemoryStore) -> None:
    await remember(store, memory(1, "the payments queue backs up at noon"))
    deleted = await store.delete("m-01")
    assert deleted is not None
    assert deleted.content == "the payments queue backs up at noon"
    assert await store.delete("m-01") is None
    assert await store.get("m-01") is None
    assert await store.listing(["global"], None, 10) == []
    assert await store.search("global", ["payments", "queue"], 10, newest=5) == []
    again = await remember(store, memory(2, "the payments queue backs up at noon"))
    assert again.id == "m-02"  # its digest was freed too
    assert [m.id for m, _ in await store.search("global", ["payments"], 10, newest=5)] == ["m-02"]


async def test_recall_ranks_by_rare_shared_words_then_adds_the_newest(store: MemoryStore) -> None:
    contents = [
        "payments api times out when redis is slow",  # m-01: payments, redis
        "redis restarts drop the payments sessions",  # m-02: payments, redis
        "web api deploys need a cache purge",  # m-03
        "grafana dashboards live in the ops folder",  # m-04
        "payments deploys go through the release train",  # m-05: payments
        "the search cluster is slow on mondays",  # m-06
    ]
    for n, content in enumerate(contents, start=1):
        await remember(store, memory(n, content))
    ranked = await store.search("global", ["redis", "payments", "kafka"], 10, newest=2)
    scores = {m.id: score for m, score in ranked}
    assert set(scores) == {"m-01", "m-02", "m-05", "m-06"}
    assert scores["m-01"] == pytest.approx(scores["m-02"])
    assert scores["m-01"] > scores["m-05"] > 0
    assert scores["m-06"] == 0  # the newest one not matched
    assert [m.id for m, _ in ranked][-1] == "m-06"
    assert [score for _, score in ranked] == sorted(scores.values(), reverse=True)
    best, newest = await store.search("global", ["redis", "payments"], 1, newest=1)
    assert best[0].id in ("m-01", "m-02")
    assert (newest[0].id, newest[1]) == ("m-06", 0)
    assert await store.search("nowhere", ["redis"], 10, newest=5) == []


async def test_a_word_in_most_memories_does_not_rank(store: MemoryStore) -> None:
    for n in range(1, 7):
        await remember(store, memory(n, f"deploy note number{n}"))
    # Only the newest comes back, scored 0: "deploy" is in every memory, so it ranks none.
    assert [(m.id, score) for m, score in await store.search("global", ["deploy"], 10, newest=1)] == [("m-06", 0)]
    [(found, score), (newest, zero)] = await store.search("global", ["deploy", "number3"], 10, newest=1)
    assert (found.id, newest.id, zero) == ("m-03", "m-06", 0)
    assert score > 0


async def test_used_memories_count_their_uses(store: MemoryStore) -> None:
    one = await remember(store, memory(1, "first learning"))
    two = await remember(store, memory(2, "second learning"))
    await store.mark_used([one, two], 50.0)
    await store.mark_used([one], 60.0)
    await store.mark_used([], 70.0)
    found = await store.get("m-01")
    assert found is not None
    assert (found.uses, found.last_used) == (2, 60.0)
    assert (await store.get("m-02")).uses == 1  # type: ignore[union-attr]


async def test_everything_is_every_scope_oldest_first(store: MemoryStore) -> None:
    await remember(store, memory(3, "third learning", scope="service:web"))
    await remember(store, memory(1, "first learning"))
    await remember(store, memory(2, "second learning", scope="channel:C1"))
    await remember(store, memory(4, "fourth learning"))
    assert [m.id for m in await store.everything()] == ["m-02", "m-01", "m-04", "m-03"]


async def test_asking_for_no_newest_memories_adds_none(store: MemoryStore) -> None:
    for n, content in enumerate(["redis is slow on mondays", "grafana lives in ops", "kafka lags"], start=1):
        await remember(store, memory(n, content))
    assert [m.id for m, _ in await store.search("global", ["redis"], 10, newest=0)] == ["m-01"]
    assert await store.search("global", ["nothing"], 10, newest=0) == []


async def test_searching_several_scopes_ranks_each_on_its_own_in_one_call(store: MemoryStore) -> None:
    await remember(store, memory(1, "redis failover takes a minute", scope="service:api"))
    await remember(store, memory(2, "redis lives beside kafka", scope="global"))
    await remember(store, memory(3, "kafka needs three brokers", scope="global"))
    await remember(store, memory(4, "redis eviction is allkeys-lru", scope="channel:C1"))  # a scope not asked
    await remember(store, memory(5, "grafana is on the ops cluster", scope="service:api"))
    query = ["redis", "kafka"]
    together = await store.search_scopes(["global", "service:api"], query, 10, newest=1)
    one_by_one = [*await store.search("global", query, 10, newest=1), *await store.search("service:api", query, 10, 1)]
    assert [(m.id, m.scope, m.content) for m, _ in together] == [(m.id, m.scope, m.content) for m, _ in one_by_one]
    assert [score for _, score in together] == pytest.approx([score for _, score in one_by_one])
    assert {m.id for m, _ in together} == {"m-01", "m-02", "m-03", "m-05"}
    assert dict((m.id, score) for m, score in together)["m-05"] == 0  # service:api's newest, not matched
    assert await store.search_scopes([], query, 10, newest=5) == []
    assert await store.search_scopes(["nowhere", "elsewhere"], query, 10, newest=5) == []


async def test_all_three_rarest_words_rank_first_then_each_pair_then_each_word(store: MemoryStore) -> None:
    contents = [
        "xylo yarrow zinnia",  # m-01: all three
        "xylo yarrow",  # m-02: the two rarest
        "xylo zinnia",  # m-03
        "yarrow zinnia",  # m-04
        "yarrow alone",  # m-05
        "zinnia alone",  # m-06
        "zinnia again",  # m-07
        *(f"filler note{n}" for n in range(5)),  # so that no word is in most memories
    ]
    for n, content in enumerate(contents, start=1):
        await remember(store, memory(n, content))
    ranked = await store.search("global", ["zinnia", "xylo", "yarrow"], 10)  # xylo 3, yarrow 4, zinnia 5
    order = [m.id for m, _ in ranked]
    assert order[:5] == ["m-01", "m-02", "m-03", "m-04", "m-05"]
    assert set(order[5:]) == {"m-06", "m-07"}
    scores = [score for _, score in ranked]
    assert scores[:6] == sorted(scores[:6], reverse=True)
    assert len(set(scores[:6])) == 6
    assert [m.id for m, _ in await store.search("global", ["zinnia", "xylo", "yarrow"], 3)] == ["m-01", "m-02", "m-03"]
    pair = await store.search("global", ["yarrow", "xylo"], 2)
    assert {m.id for m, _ in pair} == {"m-01", "m-02"}  # both have the pair: one combination, in either order


async def test_the_best_match_is_found_among_many_sharing_the_rarest_pair(store: MemoryStore) -> None:
    # More memories share the two rarest words than one membership check takes at a time,
    # and only one of them has the third.
    for n in range(1, 1_201):
        await remember(store, memory(n, f"canary rollout step{n}"))
    await remember(store, memory(1_201, "canary rollout stalled"))
    for n in range(1_202, 2_600):
        await remember(store, memory(n, f"stalled job{n}"))
    for n in range(2_600, 4_200):
        await remember(store, memory(n, f"filler note{n}"))
    [(best, score), *rest] = await store.search("global", ["canary", "rollout", "stalled"], 3)
    assert best.id == "m-1201"
    assert len(rest) == 2
    assert all(other_score < score for _, other_score in rest)
