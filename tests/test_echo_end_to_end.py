"""Whatever people (or Claude) write, what opsbot repeats pings nobody, links nowhere in disguise and
hides nothing, read back from the emulators as each service would show it; and what is too long for
a service is cut with a note instead of refused."""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck, Phase, assume, given, settings

from bot.conversation.markers import ANY_MARKER
from tests import fixtures
from tests.bot.clients.strategies import hostile_words
from tests.emulators import text
from tests.harness import BotUnderTest, Emulators, bot_env, slash_command_body
from tests.rendered import forge_problems, slack_problems

OPS = "acme/ops"
API = "acme/api"
REPO = "Codertocat/Hello-World"
PEOPLE = ("U_ALICE", "U_BOB")
TODAY = time.strftime("%Y%m%d", time.gmtime())
# Few examples over HTTP, and no shrinking: a failure prints its example, and shrinking one costs minutes.
HTTP_EXAMPLES = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
_examples = itertools.count(1)


def _repos(emulators: Emulators) -> None:
    emulators.github.add_repo(OPS)
    emulators.github.add_repo(API, branches={"main": "a" * 40})
    emulators.github.add_repo(REPO)
    emulators.github.add_issue(REPO, 1, title="Spelling error", body="", user="Codertocat")
    emulators.github.set_permission(REPO, "Codertocat", "write")
    for user, name in (("U_ALICE", "alice"), ("U_BOB", "bob")):
        emulators.slack.add_user(user, name)


@pytest.fixture
async def bot(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    _repos(emulators)
    async with BotUnderTest(bot_env(redis_url, emulators)) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


@pytest.fixture
async def agent(redis_url: str, redis_client: redis.Redis, emulators: Emulators) -> AsyncIterator[BotUnderTest]:
    _repos(emulators)
    async with BotUnderTest(bot_env(redis_url, emulators, agent=True, OPSBOT_AGENT_MAX_TURNS="2")) as running:
        yield running
    assert not emulators.errors, "an emulator failed"


async def ops(bot: BotUnderTest, words: str, channel: str = "C_OPS", user: str = "U_ALICE") -> None:
    response = await bot.slack(slash_command_body(words, user=user, channel=channel))
    assert response.status_code == 200, response.text
    await bot.run_jobs()


def said(emulators: Emulators, channel: str) -> list[str]:
    """Everything opsbot's messages in ``channel`` show: text and every section of their blocks."""
    shown = []
    for message in emulators.slack.messages(channel):
        if message.get("user") == emulators.slack.bot_user_id:
            shown.append(message["text"])
            shown += [b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "section"]
    return shown


def slack_channels(emulators: Emulators) -> list[str]:
    return list(emulators.slack.channels)


def issue_texts(emulators: Emulators, repo: str) -> list[str]:
    texts = []
    for issue in emulators.github.issues(repo):
        texts += [str(issue.get("body") or "")]
        texts += [c["body"] for c in emulators.github.comments(repo, issue["number"]) if c["user"] == "opsbot"]
    return texts


def github_comment(body: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_issue.json"))
    payload["comment"]["body"] = body
    return payload


def usable(words: str) -> str:
    assume(words.strip() and "payload" not in words.lower())
    return words


@HTTP_EXAMPLES
@given(words=hostile_words)
async def test_lock_reasons_memories_and_errors_echo_as_text_in_slack(
    bot: BotUnderTest, emulators: Emulators, words: str
) -> None:
    words = usable(words)
    before = len(said(emulators, "C_OPS"))
    await ops(bot, f"lock staging api {words}")
    await ops(bot, "locks")
    await ops(bot, "unlock staging api", user="U_ALICE")
    await ops(bot, f"remember context {words}")
    await ops(bot, f"lock {words.split()[0]} api")  # an error that quotes what was typed
    new = said(emulators, "C_OPS")[before:]
    assert len(new) >= 5
    for shown in new:
        assert slack_problems(shown, people=PEOPLE) == [], shown


@HTTP_EXAMPLES
@given(words=hostile_words)
async def test_a_command_on_github_echoes_as_text(bot: BotUnderTest, emulators: Emulators, words: str) -> None:
    words = usable(words)
    before = len(issue_texts(emulators, REPO))
    for request in (f"lock staging api {words}", f"remember context {words}", "locks", "unlock staging api"):
        comment = github_comment(f"@opsbot {request}")
        comment["comment"]["id"] = emulators.github.add_comment(REPO, 1, comment["comment"]["body"], "Codertocat")
        assert (await bot.github("issue_comment", comment)).status_code == 202
        await bot.run_jobs()
    new = issue_texts(emulators, REPO)[before:]
    # `locks` and `unlock` are always answered; a comment quoting opsbot's marker is taken for its own and ignored.
    assert len(new) >= 2 + sum(ANY_MARKER not in f"{request}" for request in (words, words))
    for body in new:
        assert forge_problems(body) == [], body


@HTTP_EXAMPLES
@given(title=hostile_words, update=hostile_words)
async def test_incident_titles_and_updates_echo_as_text_everywhere(
    bot: BotUnderTest, emulators: Emulators, title: str, update: str
) -> None:
    n = next(_examples)
    title, update = f"t{n} {usable(title)}", usable(update)
    await ops(bot, f"incident declare {title} --sev 2")
    named = re.compile(f"inc-{TODAY}-t{n}(-.*)?")
    [room] = [cid for cid, c in emulators.slack.channels.items() if named.fullmatch(c["name"])]
    await ops(bot, f"incident update {update}", channel=room)
    await ops(bot, f"incident resolve {update}", channel=room)
    for where in ("C_OPS", room):
        for shown in said(emulators, where):
            assert slack_problems(shown, people=PEOPLE, channels=slack_channels(emulators)) == [], shown
    for body in issue_texts(emulators, OPS):
        assert forge_problems(body) == [], body
    assert all("\n" not in issue["title"] for issue in emulators.github.issues(OPS))


@settings(HTTP_EXAMPLES, max_examples=6)
@given(answer=hostile_words)
async def test_the_agents_answer_is_escaped_like_any_outside_text(
    agent: BotUnderTest, emulators: Emulators, answer: str
) -> None:
    answer = usable(answer)
    emulators.anthropic.script([text(f"**Summary**: {answer}\n- {answer}\n**Remember**: null")])
    before = len(said(emulators, "C_OPS"))
    await ops(agent, "why is the api slow?")
    emulators.anthropic.script([text(f"Here: {answer} [https://github.com/acme](https://evil.example)")])
    comment = github_comment("@opsbot what happened here?")
    comment["comment"]["id"] = emulators.github.add_comment(REPO, 1, comment["comment"]["body"], "Codertocat")
    assert (await agent.github("issue_comment", comment)).status_code == 202
    await agent.run_jobs()
    [shown, *_] = said(emulators, "C_OPS")[before:]
    assert slack_problems(shown, people=PEOPLE) == [], shown
    assert shown.startswith("*Summary*:")  # the agent's own Markdown stays
    forge = [c["body"] for c in emulators.github.comments(REPO, 1) if c["user"] == "opsbot"][-1]
    assert forge_problems(forge) == [], forge
    assert "https://github.com/acme (https://evil.example)" in forge


async def test_a_300_character_incident_title_gets_its_tracking_issue(bot: BotUnderTest, emulators: Emulators) -> None:
    title = "checkout " * 33  # 297 characters
    await ops(bot, f"incident declare {title} --sev 1")
    [issue] = [i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]
    assert len(issue["title"]) <= 256
    assert issue["title"].startswith("[Incident] sev1: checkout checkout")
    assert issue["title"].endswith("(truncated)")
    [room] = [c for c in emulators.slack.channels.values() if c["name"].startswith(f"inc-{TODAY}-checkout")]
    assert len(room["name"]) <= 80


async def test_a_resolved_incident_with_long_updates_posts_its_timeline(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    await ops(bot, "incident declare Long night --sev 3")
    [room] = [cid for cid, c in emulators.slack.channels.items() if c["name"] == f"inc-{TODAY}-long-night"]
    for n in range(12):
        await ops(bot, f"incident update step {n}: " + "<details> & more " * 300, channel=room)
    await ops(bot, "incident resolve done", channel=room)
    [issue] = [i for i in emulators.github.issues(OPS) if "incident" in i["labels"]]
    [timeline] = [c for c in issue_texts(emulators, OPS) if "Timeline:" in c]
    assert len(timeline) <= 65_536
    assert "(truncated: too long for GitHub)" in timeline
    assert "<!-- opsbot:reply incident:" in timeline  # the reply marker survives the cut
    assert issue["state"] == "closed"
