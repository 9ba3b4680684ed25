"""Input tokens per request to Claude, and the share served from the prompt cache.

Real Ops agent tasks (the worker's code path, from memory recall to the final
answer) run against the Anthropic emulator, which counts tokens as a quarter
of the request's JSON length and caches like the API does: only prefixes of
at least 1,024 tokens, read back on a later request whose prefix matches.
The baseline, from the same requests, is what they would cost uncached.
Prices follow Anthropic's published multipliers: a cache write costs 1.25×
an input token, a cache read 0.1×.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from bot.model import ChatMessage, ConsoleThread, Person
from bot.settings import Settings
from handlers.app import build_runtime
from tests.emulators import AnthropicEmulator, text, tool_use

TASKS = 20
MIN_CACHEABLE = 1_024  # tokens; the API skips caching below this for Sonnet models
WRITE_COST, READ_COST = 1.25, 0.10
QUESTIONS = [
    "why did the last api deploy to staging fail?",
    "is it safe to roll the web service back on production?",
    "what should we check before the database migration tonight?",
    "the api p99 latency doubled since noon, where do we start?",
]
FINAL = "**Summary**: Looked at the api.\n**Approach**: status and deployments.\n**Remember**: null"


@dataclass(frozen=True)
class TokenResult:
    requests: int
    prompt_per_request: float  # every input token, cached or not
    uncached_per_request: float
    cached_share: float  # of all input tokens, read from the cache
    prefix_tokens: int  # the static part: instructions and tools
    estate_tokens: int  # of which the catalogue of ops.yaml's services and environments
    cost_ratio: float  # cached cost / uncached cost


async def measure_tokens(redis_url: str) -> TokenResult:
    database = redis_url.rsplit("/", 1)[0] + "/2"  # its own database
    client = redis.Redis.from_url(database)
    await client.flushdb()
    with AnthropicEmulator(api_key="bench-key", min_cacheable_tokens=MIN_CACHEABLE) as claude:
        env = {
            "REDIS_URL": database, "ANTHROPIC_API_KEY": "bench-key", "ANTHROPIC_BASE_URL": claude.url,
            "OPSBOT_CONFIG": "tests/ops.test.yaml",
        }  # fmt: skip
        runtime = build_runtime(Settings.from_env(env))
        try:
            for n, memory in enumerate(("context api runs on EKS behind nginx", "mistake staging deploys skip db")):
                teach = ChatMessage(
                    f"bench-teach-{n}", Person("console", "bench"), ConsoleThread("ops"), f"remember {memory}", "slash"
                )
                await runtime.chatops.respond(teach)
            for n in range(TASKS):
                claude.script(
                    [tool_use("status", {"service": "api"}), tool_use("deployments", {"service": "api"}), text(FINAL)]
                )
                ask = ChatMessage(f"bench-{n}-{time.time_ns()}", Person("console", "bench"), ConsoleThread("ops"),
                                  QUESTIONS[n % len(QUESTIONS)], "mention")  # fmt: skip
                await runtime.chatops.respond(ask)
            stats = await runtime.stats.snapshot()
            prefix = len(_prefix_json(claude.bodies()[0])) // 4
            estate = len(_estate(claude.bodies()[0])) // 4
        finally:
            await runtime.close()
            await client.flushdb()
            await client.aclose()
    requests = int(stats.get("agent-requests|ok", 0))
    fresh, read, write = (stats.get(f"agent-tokens|{k}", 0.0) for k in ("input", "cache_read", "cache_write"))
    prompt = fresh + read + write
    return TokenResult(
        requests=requests,
        prompt_per_request=prompt / requests,
        uncached_per_request=fresh / requests,
        cached_share=read / prompt,
        prefix_tokens=prefix,
        estate_tokens=estate,
        cost_ratio=(fresh + WRITE_COST * write + READ_COST * read) / prompt,
    )


def _prefix_json(body: dict[str, object]) -> str:
    return json.dumps([body.get("tools"), body.get("system")], sort_keys=True)


def _estate(body: dict[str, Any]) -> str:
    """The estate section of the first (cached) system block."""
    instructions = str(body["system"][0]["text"])
    start = instructions.find("# The estate")
    return "" if start < 0 else instructions[start : instructions.find("\n# ", start + 1)]


def tokens_report(result: TokenResult) -> str:
    return "\n".join(
        [
            f"Claude input tokens, {TASKS} agent tasks of 3 requests (emulator's count: JSON length / 4)",
            f"  per request: {result.prompt_per_request:,.0f} input tokens, of which "
            f"{result.cached_share:.0%} read from the cache; {result.uncached_per_request:,.0f} neither cached nor "
            f"written; static prefix {result.prefix_tokens:,} tokens (the estate {result.estate_tokens:,})",
            f"  input cost against the same requests uncached: {result.cost_ratio:.2f}×",
            f"VERDICT prompt caching: {'MET' if result.cached_share >= 0.5 else 'MISSED'} — "
            f"{result.cached_share:.0%} of input tokens from the cache (≥ 50%)",
        ]
    )


if __name__ == "__main__":
    from tests.redis_server import redis_server

    with redis_server() as url:
        print(tokens_report(asyncio.run(measure_tokens(url))))
