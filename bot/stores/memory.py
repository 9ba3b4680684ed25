"""Memories in Redis: a hash each, indexes per scope, type, digest and word."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis

from bot.commands.types import MemoryType
from bot.memory.model import Memory
from bot.stores import keys
from bot.stores.redis import fields, text, translating

# Eviction reads a per-scope sorted set scored by recall count, with the
# creation time as a fraction below 1 (created / 1e11: 0.018 today) so that
# among equals the oldest goes first: ZRANGE 0 n-1 is the n to drop.
# KEYS: hash, all, of-type, digests, words-of, scopes, by-use.
# ARGV: id, digest, scope, type, content, author, source, created, used, uses, word…
ADD = """
local existing = redis.call('HGET', KEYS[4], ARGV[2])
if existing then
  local key = ARGV[13] .. existing
  redis.call('HINCRBY', key, 'uses', 1)
  redis.call('HSET', key, 'last_used', ARGV[9])
  redis.call('ZINCRBY', KEYS[7], 1, existing)
  return {existing, redis.call('HGETALL', key)}
end
redis.call('HSET', KEYS[1], 'scope', ARGV[3], 'type', ARGV[4], 'content', ARGV[5], 'author', ARGV[6],
           'source', ARGV[7], 'created_at', ARGV[8], 'last_used', ARGV[9], 'uses', ARGV[10], 'digest', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[8], ARGV[1])
redis.call('ZADD', KEYS[7], tonumber(ARGV[10]) + tonumber(ARGV[8]) / 1e11, ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[6], ARGV[3])
for i = 14, #ARGV do
  redis.call('SADD', ARGV[11] .. ARGV[i], ARGV[1])
  redis.call('SADD', KEYS[5], ARGV[i])
end
return {ARGV[1], redis.call('HGETALL', KEYS[1])}
"""

# KEYS: hash, words-of. ARGV: id, memories prefix, of-type prefix, digests prefix, word prefix, by-use prefix.
DELETE = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local scope = redis.call('HGET', KEYS[1], 'scope')
local kind = redis.call('HGET', KEYS[1], 'type')
local digest = redis.call('HGET', KEYS[1], 'digest')
redis.call('ZREM', ARGV[2] .. scope, ARGV[1])
redis.call('ZREM', ARGV[3] .. scope .. ':' .. kind, ARGV[1])
redis.call('ZREM', ARGV[6] .. scope, ARGV[1])
if redis.call('HGET', ARGV[4] .. scope, digest) == ARGV[1] then redis.call('HDEL', ARGV[4] .. scope, digest) end
for _, word in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('SREM', ARGV[5] .. scope .. ':' .. word, ARGV[1])
end
redis.call('DEL', KEYS[1], KEYS[2])
return fields
"""

# KEYS: all (of the scope). ARGV: limit, memory key prefix, how many newest to add, word key…
# The three rarest query words make at most seven combinations. Taken in
# order of their summed weight, SINTER (done in C, returning only the
# overlap) finds the best matches first: a memory first appears under
# exactly the words it has, so the order is exact and the search stops as
# soon as it has enough, usually before touching a whole word's set.
SEARCH = """
local unpack_ = table.unpack or unpack  -- Redis runs Lua 5.1; the embedded store a later Lua
local total = redis.call('ZCARD', KEYS[1])
if total == 0 then return {} end
local limit = tonumber(ARGV[1])
local words, ids, idscores = {}, {}, {}
for i = 4, #ARGV do
  local found = redis.call('SCARD', ARGV[i])
  if found > 0 and (found <= total * 0.6 or total < 5) then
    table.insert(words, {ARGV[i], math.log((total + 1) / found) + 0.1})
  end
end
table.sort(words, function(a, b) return a[2] > b[2] end)
local n = math.min(#words, 3)
local combos = {}
for mask = 1, 2 ^ n - 1 do
  local keys, weight, rest = {}, 0, mask
  for i = n, 1, -1 do
    if rest >= 2 ^ (i - 1) then
      table.insert(keys, words[i][1])
      weight = weight + words[i][2]
      rest = rest - 2 ^ (i - 1)
    end
  end
  table.insert(combos, {keys, weight})
end
table.sort(combos, function(a, b) return a[2] > b[2] end)
for _, combo in ipairs(combos) do
  if #ids >= limit then break end
  for _, id in ipairs(redis.call('SINTER', unpack_(combo[1]))) do
    if idscores[id] == nil then
      idscores[id] = combo[2]
      table.insert(ids, id)
      if #ids >= limit then break end
    end
  end
end
-- Then the newest memories not already chosen, scored 0: every task reviews
-- what the team knows, even when nothing matches its words.
-- (ZREVRANGE 0 -1 would be the whole set, so asking for none adds none.)
local newest = tonumber(ARGV[3]) > 0 and redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1) or {}
for _, id in ipairs(newest) do
  if idscores[id] == nil then
    table.insert(ids, id)
    idscores[id] = 0
  end
end
local best = {}
for _, id in ipairs(ids) do
  table.insert(best, id)
  table.insert(best, tostring(idscores[id]))
  table.insert(best, redis.call('HGETALL', ARGV[2] .. id))
end
return best
"""


# KEYS: the memories' hashes. ARGV: when, by-use prefix, then each memory's id.
# A memory deleted since it was recalled is left deleted, not half re-created.
TOUCH = """
for i, key in ipairs(KEYS) do
  local scope = redis.call('HGET', key, 'scope')
  if scope then
    redis.call('HINCRBY', key, 'uses', 1)
    redis.call('HSET', key, 'last_used', ARGV[1])
    redis.call('ZINCRBY', ARGV[2] .. scope, 1, ARGV[i + 2])
  end
end
return #KEYS
"""

# KEYS: all (of the scope), by-use. ARGV: n, memory key prefix.
# Memories kept before the by-use set existed are added to it the first time
# a scope is evicted from (once: then the two sets are the same size).
LEAST_RECALLED = """
if redis.call('ZCARD', KEYS[2]) < redis.call('ZCARD', KEYS[1]) then
  local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    if not redis.call('ZSCORE', KEYS[2], all[i]) then
      local uses = tonumber(redis.call('HGET', ARGV[2] .. all[i], 'uses') or '0') or 0
      redis.call('ZADD', KEYS[2], uses + tonumber(all[i + 1]) / 1e11, all[i])
    end
  end
end
return redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
"""


def _memory(memory_id: str, flat: Any) -> Memory | None:
    if not flat:
        return None
    found = fields(flat)
    return Memory(
        id=memory_id,
        scope=found["scope"],
        type=found["type"],  # type: ignore[arg-type]
        content=found["content"],
        author=found["author"],
        source=found["source"],
        created_at=float(found["created_at"]),
        last_used=float(found["last_used"]),
        uses=int(found["uses"]),
    )


class RedisMemoryStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._add = client.register_script(ADD)
        self._delete = client.register_script(DELETE)
        self._search = client.register_script(SEARCH)
        self._touch = client.register_script(TOUCH)
        self._least_recalled = client.register_script(LEAST_RECALLED)

    @translating
    async def add(self, memory: Memory, digest: str, words: Sequence[str]) -> Memory:
        scope = memory.scope
        found_id, flat = await self._add(
            keys=[
                keys.MEMORY + memory.id, keys.MEMORIES + scope, keys.memories(scope, memory.type),
                keys.MEMORY_DIGESTS + scope, keys.MEMORY_WORDS + memory.id, keys.MEMORY_SCOPES,
                keys.MEMORIES_BY_USE + scope,
            ],
            args=[
                memory.id, digest, scope, memory.type, memory.content, memory.author, memory.source,
                memory.created_at, memory.last_used, memory.uses, keys.memory_words(scope), "", keys.MEMORY,
                *words,
            ],
        )  # fmt: skip
        stored = _memory(text(found_id), flat)
        assert stored is not None
        return stored

    async def _fetch(self, ids: Sequence[str]) -> list[Memory]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for memory_id in ids:
                pipe.hgetall(keys.MEMORY + memory_id)
            found = await pipe.execute()
        return [m for memory_id, flat in zip(ids, found, strict=True) if (m := _memory(memory_id, flat)) is not None]

    @translating
    async def get(self, memory_id: str) -> Memory | None:
        return _memory(memory_id, await self._redis.hgetall(keys.MEMORY + memory_id))

    @translating
    async def delete(self, memory_id: str) -> Memory | None:
        flat = await self._delete(
            keys=[keys.MEMORY + memory_id, keys.MEMORY_WORDS + memory_id],
            args=[
                memory_id,
                keys.MEMORIES,
                keys.MEMORIES_OF_TYPE,
                keys.MEMORY_DIGESTS,
                keys.MEMORY_WORD,
                keys.MEMORIES_BY_USE,
            ],
        )
        return _memory(memory_id, flat)

    @translating
    async def listing(self, scopes: Sequence[str], type: MemoryType | None, limit: int) -> list[Memory]:
        newest: list[tuple[float, str]] = []
        for scope in scopes:
            found: Any = await self._redis.zrevrange(keys.memories(scope, type), 0, limit - 1, withscores=True)
            newest += [(float(created), text(memory_id)) for memory_id, created in found]
        newest.sort(reverse=True)
        return await self._fetch([memory_id for _, memory_id in newest[:limit]])

    @translating
    async def count(self, scope: str, type: MemoryType | None) -> int:
        return int(await self._redis.zcard(keys.memories(scope, type)))

    @translating
    async def least_recalled(self, scope: str, n: int) -> list[Memory]:
        if n <= 0:
            return []
        members: Any = await self._least_recalled(
            keys=[keys.MEMORIES + scope, keys.MEMORIES_BY_USE + scope], args=[n, keys.MEMORY]
        )
        return await self._fetch([text(i) for i in members])

    @translating
    async def search(self, scope: str, words: Sequence[str], limit: int, newest: int = 0) -> list[tuple[Memory, float]]:
        word_keys = [keys.memory_words(scope) + word for word in words]
        found = await self._search(keys=[keys.MEMORIES + scope], args=[limit, keys.MEMORY, newest, *word_keys])
        ranked: list[tuple[Memory, float]] = []
        for i in range(0, len(found), 3):
            memory = _memory(text(found[i]), found[i + 2])
            if memory is not None:
                ranked.append((memory, float(found[i + 1])))
        return ranked

    @translating
    async def mark_used(self, memories: Sequence[Memory], at: float) -> None:
        if memories:
            await self._touch(
                keys=[keys.MEMORY + m.id for m in memories], args=[at, keys.MEMORIES_BY_USE, *(m.id for m in memories)]
            )

    @translating
    async def everything(self) -> list[Memory]:
        memories: list[Memory] = []
        for scope in sorted(text(s) for s in await self._redis.smembers(keys.MEMORY_SCOPES)):
            members: Any = await self._redis.zrange(keys.MEMORIES + scope, 0, -1)
            memories += await self._fetch([text(i) for i in members])
        return memories
