"""The Ops agent's loop: brief, ask Claude, run its tools, answer.

Limits are opsbot's, not the model's: a number of turns, output tokens per
request and per task, and wall time (retries included). When one is hit,
the person still gets an answer saying what was done and where it stopped.
A request Claude can't serve (overloaded, rate limited, down) is retried
with backoff within those limits, then answered in plain words with an
error id that is also in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from bot.agent.context import Briefing, first_message, where
from bot.agent.estate import catalogue
from bot.agent.language import LanguageModel, Prefix, Reply, Text, ToolCall, ToolResult, Turn, Usage
from bot.agent.learning import lessons
from bot.agent.progress import step, trail
from bot.agent.prompt import instructions
from bot.agent.toolbox import AgentServices, TaskRecord, Toolbox
from bot.agent.tools import tool_specs
from bot.agent.untrusted import Fence
from bot.commands.names import NAME_WORD
from bot.config import OpsConfig
from bot.conversation.progress import ProgressBoard, TaskProgress
from bot.conversation.readers import Conversation, ConversationReader
from bot.deploys.grammar import Status
from bot.errors import CommandError, UpstreamError, UpstreamUnavailable
from bot.failures import explain, new_error_id
from bot.forges import push_access, repository
from bot.incidents.model import summary_text, timeline_text
from bot.jobs.backoff import backoff
from bot.memory.commands import offered_text
from bot.memory.model import Memory
from bot.memory.offers import Offer
from bot.memory.scopes import services_of
from bot.model import Answer, ChatMessage, Platform
from bot.settings import AgentLimits

log = logging.getLogger(__name__)

MEMORY_BUDGET = 1_500  # tokens of memories in the first message
# Answers whose Remember section is not learned from: the model declined, or the answer is cut off.
NOT_LEARNED_FROM = {
    "refusal": "Claude declined this request, so nothing in it is a lesson",
    "max_tokens": "the answer was cut off, so its lessons may be too",
    "model_context_window_exceeded": "the answer was cut off, so its lessons may be too",
}
MAX_SERVICES = 3  # services whose state is put in the first message
ANSWER_MEMORY = 24 * 3600.0  # a re-run job posts the answer already worked out


class ModelStats(Protocol):
    async def record_model_request(self, usage: Usage, outcome: str) -> None:
        """One request to the model: its tokens, and ok / retried / failed."""


class LimitReached(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class ModelFailed(Exception):
    def __init__(self, cause: UpstreamError, attempts: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.attempts = attempts


class OpsAgent:
    def __init__(
        self,
        model: LanguageModel,
        services: AgentServices,
        readers: Mapping[Platform, ConversationReader],
        config: OpsConfig,
        stats: ModelStats,
        limits: AgentLimits,
        bot_name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        progress: ProgressBoard | None = None,
    ) -> None:
        self._model = model
        self._progress = progress  # None: people see only the answer
        self._services = services
        self._readers = readers
        self._config = config
        self._stats = stats
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        # Built once: byte for byte the same in every request, so the cache serves it.
        self.prefix = Prefix(
            instructions(bot_name, catalogue(config)), tool_specs(services.commands.grammar, services.looks)
        )

    async def answer(self, message: ChatMessage) -> Answer | str:
        key = f"agent-answer:{message.id}"
        if (saved := await self._services.marks.get(key)) is not None:
            return Answer.from_json(saved)
        refusal = await self._not_allowed(message)
        if refusal is not None:
            return refusal  # one short answer, and no Claude request
        shown = await self._progress.start(message) if self._progress is not None else None
        try:
            answer = await self._work(message, shown)
        finally:
            if shown is not None:
                await shown.close()  # the answer, posted next, is the last word
        await self._services.marks.set(key, ANSWER_MEMORY, answer.to_json())
        # Replies in this Slack thread now reach the agent without a new mention.
        await self._services.following.follow(message.place)
        return answer

    async def _not_allowed(self, message: ChatMessage) -> str | None:
        """Why ``message``'s author may not start an agent task where they asked, or None.

        Anyone can comment on a public repository, and every task spends Claude tokens on
        what they wrote, so on the forges only the people ops.yaml's agent.allow names may
        start one (by default those who can push; a failed check denies). Slack and the
        console are the team's own."""
        repo = repository(message.place)
        allow = self._config.agent_allow
        if repo is None or allow == "anyone":
            return None
        if allow == "collaborators":
            if await push_access(self._services.forges, repo.forge, repo.name, message.author):
                return None
            return (
                f"Only people who can push to `{repo.name}` can ask the Ops agent here. "
                "Commands such as `status` still work."
            )
        if message.author.handle in allow:
            return None
        return "The Ops agent answers only the people ops.yaml's `agent.allow` lists here."

    # -- one task ------------------------------------------------------------------------
    async def _work(self, message: ChatMessage, shown: TaskProgress | None) -> Answer:
        fence = Fence()
        toolbox = Toolbox(message, self._services, fence)
        deadline = self._clock() + self._limits.wall_time
        turns = [Turn("user", (Text(first_message(await self._brief(message), fence)),))]
        spent = Usage()
        last_text, stopped = "", None
        try:
            for _ in range(self._limits.max_turns):
                budget = self._limits.max_task_output_tokens - spent.output_tokens
                if budget <= 0:
                    raise LimitReached(f"its budget of {self._limits.max_task_output_tokens} output tokens")
                reply = await self._ask(turns, min(self._limits.max_output_tokens, budget), deadline)
                spent += reply.usage
                last_text = reply.text or last_text
                if reply.stop_reason != "tool_use" or not reply.tool_calls:
                    return await self._finish(
                        message, toolbox.record, self._final_text(reply), None,
                        unlearned=NOT_LEARNED_FROM.get(reply.stop_reason), untrusted=fence.material,
                    )  # fmt: skip
                turns.append(Turn("assistant", reply.blocks))
                results = [await self._run(toolbox, call, shown) for call in reply.tool_calls]
                turns.append(Turn("user", tuple(results)))
            stopped = f"its limit of {self._limits.max_turns} turns"
        except LimitReached as limit:
            stopped = limit.what
        except ModelFailed as failure:
            error_id = new_error_id()
            log.warning(
                "the agent could not reach Claude",
                extra={"error_id": error_id, "message_id": message.id, "error": str(failure.cause)},
            )
            text = explain(failure.cause, error_id=error_id, attempts=failure.attempts)
            return await self._finish(message, toolbox.record, text, None, learn=False)
        log.warning("the agent hit a limit", extra={"message_id": message.id, "limit": stopped})
        return await self._finish(message, toolbox.record, last_text, stopped, learn=False)

    @staticmethod
    async def _run(toolbox: Toolbox, call: ToolCall, shown: TaskProgress | None) -> ToolResult:
        said = step(call.name, call.input)
        if shown is not None:
            await shown.show(said.doing)
        result = await toolbox.run(call)
        if said.looked_at is not None:
            toolbox.record.looked_at.append(said.looked_at)
        return result

    @staticmethod
    def _final_text(reply: Reply) -> str:
        if reply.stop_reason == "refusal" and not reply.text:
            return "Claude declined to answer this request."
        if reply.stop_reason == "max_tokens":
            return reply.text + "\n\n_(The answer was cut off at its length limit.)_"
        if reply.stop_reason == "model_context_window_exceeded":
            return reply.text + "\n\n_(The answer stops here: this task no longer fits in Claude's context window.)_"
        return reply.text

    async def _ask(self, turns: list[Turn], max_tokens: int, deadline: float) -> Reply:
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise LimitReached(f"its time limit of {self._limits.wall_time:g} s")
            try:
                reply = await self._model.reply(self.prefix, turns, max_tokens=max_tokens, within=remaining)
            except UpstreamUnavailable as exc:
                if self._clock() >= deadline:  # it timed out because the task's time was up
                    await self._stats.record_model_request(Usage(), "failed")
                    raise LimitReached(f"its time limit of {self._limits.wall_time:g} s") from exc
                delay = backoff(attempt, self._limits.retry_base_delay, self._limits.retry_max_delay, exc.retry_after)
                last = attempt >= self._limits.attempts or self._clock() + delay >= deadline
                await self._stats.record_model_request(Usage(), "failed" if last else "retried")
                if last:
                    raise ModelFailed(exc, attempt) from exc
                await self._sleep(delay)
                continue
            except UpstreamError as exc:
                await self._stats.record_model_request(Usage(), "failed")
                raise ModelFailed(exc, attempt) from exc
            await self._stats.record_model_request(reply.usage, "ok")
            return reply

    # -- before: what the agent is shown -------------------------------------------------
    async def _brief(self, message: ChatMessage) -> Briefing:
        conversation: Conversation | None = None
        problem: str | None = None
        reader = self._readers.get(message.place.platform)
        if reader is not None:
            try:
                conversation = await reader.conversation(message.place, exclude=message.source_id)
            except UpstreamError as exc:  # the task can go on without the thread
                problem = str(exc)
                log.warning("could not read the thread", extra={"place": where(message.place), "error": problem})
        services = self._services_concerned(message)
        statuses: dict[str, str] = {}
        for name in services:
            status = await self._services.commands.run(Status(name), message)
            statuses[name] = status.text if isinstance(status, Answer) else status
        query = " ".join(part for part in (message.text, conversation.title if conversation else None) if part)
        memories = await self._services.memories.recall(message, query, MEMORY_BUDGET, services)
        todos = await self._services.todos.current(message.place)
        return Briefing(message, conversation, problem, statuses, memories, todos, await self._incident(message))

    async def _incident(self, message: ChatMessage) -> str | None:
        if self._services.incidents is None:
            return None
        found = await self._services.incidents.timeline_of(message.place)
        if found is None:
            return None
        incident, timeline = found
        briefing = f"{summary_text(incident)}\n\nTimeline (UTC):\n{timeline_text(timeline)}"
        alerts = await self._services.incidents.alerts_now(incident)
        return f"{briefing}\n\nIts alerts now:\n{alerts}" if alerts else briefing

    def _services_concerned(self, message: ChatMessage) -> list[str]:
        """The services of the repository asked from, then those named in the request."""
        chosen = services_of(message.place, self._config)
        words = {word.lower() for word in NAME_WORD.findall(message.text)}
        chosen += [name for name in self._config.services if name.lower() in words and name not in chosen]
        return chosen[:MAX_SERVICES]

    # -- after: what people read ---------------------------------------------------------
    async def _finish(
        self,
        message: ChatMessage,
        record: TaskRecord,
        text: str,
        stopped: str | None,
        *,
        learn: bool = True,
        unlearned: str | None = None,
        untrusted: Sequence[str] = (),
    ) -> Answer:
        """The answer people read; its lessons are proposals, kept (or offered) only if they pass
        the checks, and none from an answer that was refused or cut off (``unlearned`` says why)."""
        shown = text
        not_kept: str | None = None
        if learn:
            found, shown = lessons(text)
            if found and unlearned is not None:
                not_kept, found = unlearned, []
            for lesson in found:
                try:
                    learned = await self._services.memories.learn(
                        message, lesson.type, lesson.content, source="answer", untrusted=untrusted
                    )
                except CommandError as refusal:
                    not_kept = str(refusal)
                    continue
                if isinstance(learned, Offer):
                    record.offer(learned)
                else:
                    record.memories.append(learned)
        parts = [shown.strip() or _nothing_said(record, stopped)]
        if stopped:
            parts.append(f"⏱️ I stopped before finishing: this task reached {stopped}.")
        if record.actions:
            parts.append("**What I did**\n" + "\n".join(f"• {action}" for action in record.actions))
        if record.memories:
            unique = {memory.id: memory for memory in record.memories}.values()  # the same lesson twice is one memory
            parts.append("🧠 Remembered: " + "; ".join(_remembered(m) for m in unique))
        if record.offers:
            parts.append("\n".join(offered_text(offer) for offer in record.offers))
        if not_kept:
            parts.append(f"🧠 Lessons in this answer were not kept: {not_kept}")
        if (looked := trail(record.looked_at)) is not None:
            parts.append(looked)
        return Answer("\n\n".join(parts), tuple(record.buttons))


def _nothing_said(record: TaskRecord, stopped: str | None) -> str:
    """What people read when Claude wrote no answer: never a bare "Done." that claims success."""
    if stopped:
        return "I have no answer to give yet."
    if record.actions:
        return "Claude wrote no answer this time; what it did is below."
    return "Claude sent an empty answer, so there is nothing to report. Ask again, or say more about what you need."


def _remembered(memory: Memory) -> str:
    return f"`{memory.id}` _{memory.type}_ {memory.content}"
