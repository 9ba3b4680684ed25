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

# KEYS: all (of each scope). ARGV: limit, memory key prefix, how many newest to add,
# then one word-index prefix per scope, then the query words.
# One call for every scope: a task recalls from up to four, and each call is
# a round trip. Per scope, the three rarest query words make at most seven
# combinations. Taken in order of their summed weight, SINTER (done in C,
# returning only the overlap) finds the best matches first: a memory first
# appears under exactly the words it has, so the order is exact and the
# search stops as soon as it has enough. Each SINTER is a pass over the
# smallest of its sets, the cost that dominates at 10,000 memories, so the
# two best combinations share one (see below). Only the fields a Memory
# needs come back, values without their names.
SEARCH = """
local unpack_ = table.unpack or unpack  -- Redis runs Lua 5.1; the embedded store a later Lua
local limit, prefix, newest = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local scopes = #KEYS
local first_word = 4 + scopes
local best = {}

local function search(all, word_prefix)
  local total = redis.call('ZCARD', all)
  if total == 0 then return end
  local words, ids, idscores = {}, {}, {}
  for i = first_word, #ARGV do
    local key = word_prefix .. ARGV[i]
    local found = redis.call('SCARD', key)
    if found > 0 and (found <= total * 0.6 or total < 5) then
      table.insert(words, {key, math.log((total + 1) / found) + 0.1})
    end
  end
  table.sort(words, function(a, b) return a[2] > b[2] end)
  local n = math.min(#words, 3)
  local function take(id, weight)
    if idscores[id] == nil then
      idscores[id] = weight
      table.insert(ids, id)
    end
    return #ids >= limit
  end
  -- The two best combinations are always all three words, then the two
  -- rarest. One SINTER of those two (a pass over the smaller set) and a
  -- membership check of its few members in the third give both, in order:
  -- a second pass of SINTER over a whole set for the pair saved.
  local taken = {}  -- combinations (as bit masks of words) already searched
  if n >= 2 then
    taken[3] = true
    taken[7] = true
    local pair = redis.call('SINTER', words[1][1], words[2][1])
    local weight = words[1][2] + words[2][2]
    if n == 3 then
      local all_three = weight + words[3][2]
      for from = 1, #pair, 500 do  -- unpack takes a few thousand values at most
        if #ids >= limit then break end
        local upto = math.min(from + 499, #pair)
        local in_third = redis.call('SMISMEMBER', words[3][1], unpack_(pair, from, upto))
        for i = from, upto do
          if in_third[i - from + 1] == 1 and take(pair[i], all_three) then break end
        end
      end
    end
    for _, id in ipairs(pair) do
      if #ids >= limit or take(id, weight) then break end
    end
  end
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
    if not taken[mask] then table.insert(combos, {keys, weight}) end
  end
  table.sort(combos, function(a, b) return a[2] > b[2] end)
  for _, combo in ipairs(combos) do
    if #ids >= limit then break end
    for _, id in ipairs(redis.call('SINTER', unpack_(combo[1]))) do
      if take(id, combo[2]) then break end
    end
  end
  -- Then the newest memories not already chosen, scored 0: every task reviews
  -- what the team knows, even when nothing matches its words.
  -- (ZREVRANGE 0 -1 would be the whole set, so asking for none adds none.)
  if newest > 0 then
    for _, id in ipairs(redis.call('ZREVRANGE', all, 0, newest - 1)) do
      if idscores[id] == nil then
        table.insert(ids, id)
        idscores[id] = 0
      end
    end
  end
  for _, id in ipairs(ids) do
    table.insert(best, {id, tostring(idscores[id]), redis.call('HMGET', prefix .. id,
      'scope', 'type', 'content', 'author', 'source', 'created_at', 'last_used', 'uses')})
  end
end

for s = 1, scopes do search(KEYS[s], ARGV[3 + s]) end
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


def _recalled(memory_id: str, values: Sequence[Any]) -> Memory | None:
    """A memory from SEARCH's values, in its HMGET order (float and int read bytes as they are)."""
    scope, kind, content, author, source, created_at, last_used, uses = values
    if scope is None or kind is None or content is None or created_at is None or last_used is None:
        return None
    return Memory(
        id=memory_id,
        scope=text(scope),
        type=text(kind),  # type: ignore[arg-type]
        content=text(content),
        author=text(author or ""),
        source=text(source or ""),
        created_at=float(created_at),
        last_used=float(last_used),
        uses=int(uses or 0),
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

    async def search(self, scope: str, words: Sequence[str], limit: int, newest: int = 0) -> list[tuple[Memory, float]]:
        return await self.search_scopes([scope], words, limit, newest)

    @translating
    async def search_scopes(
        self, scopes: Sequence[str], words: Sequence[str], limit: int, newest: int = 0
    ) -> list[tuple[Memory, float]]:
        if not scopes:
            return []
        found = await self._search(
            keys=[keys.MEMORIES + scope for scope in scopes],
            args=[limit, keys.MEMORY, newest, *(keys.memory_words(scope) for scope in scopes), *words],
        )
        ranked: list[tuple[Memory, float]] = []
        for memory_id, score, values in found:
            memory = _recalled(text(memory_id), values)
            if memory is not None:  # deleted between its index and its hash
                ranked.append((memory, float(score)))
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
