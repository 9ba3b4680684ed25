"""Run the agent's tool calls for one task, as the person who asked.

Refusals (no permission, a lock, a bad name) go back to the model as tool
errors in plain words, as they would to a person. A failing upstream does
too, so the model can say what it could not check. Results are fenced as
untrusted data: they carry text from forges and people.

Actions are recorded per request: when a job is run again (its worker died,
Slack failed to take the answer), the same action returns what it did the
first time instead of doing it twice.

An action runs as a request of its own (an id derived from the task's and the
action's), so a deploy the agent starts reports its status in a message of its
own, posted as it starts and edited by later status reports and approvals,
and the agent's answer keeps its own message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.agent.language import ToolCall, ToolResult
from bot.agent.untrusted import Fence
from bot.commands.entry import AgentTool, Entry
from bot.commands.grammar import UsageProblem
from bot.commands.table import CommandTable
from bot.conversation.following import Following
from bot.conversation.reporting import Reporter
from bot.deploys.commands import status_text
from bot.deploys.deploying import Deploys
from bot.errors import CommandError, UpstreamError, UpstreamUnavailable
from bot.forges import ForgeAccess, ForgeName
from bot.incidents.lifecycle import Incidents
from bot.investigation.looks import LOOK_TIMEOUT, Look
from bot.investigation.looks import RESULT_LIMIT as LOOK_RESULT_LIMIT
from bot.memory.commands import MemoryCommands, keep_button, line
from bot.memory.model import Memory
from bot.memory.offers import Offer
from bot.model import Answer, Button, ChatMessage, ConsoleThread, SlackThread
from bot.ports import Marks
from bot.todos.board import TodoBoard
from bot.todos.lists import parse_todos, render

log = logging.getLogger(__name__)

RESULT_LIMIT = 8_000  # characters of one tool result
ACTION_MEMORY = 24 * 3600.0  # how long an action's result is kept against re-runs
RECALL_BUDGET = 800  # tokens of memories one recall_memories call returns
# Actions whose status is reported later (the forge's deployment statuses, an approval):
# their answer is a message of its own, which those reports edit.
REPORTED_ACTIONS = frozenset({"deploy", "rollback"})


def action_id(task_id: str, digest: str) -> str:
    """The id an agent's action runs under: stable across re-runs of the task's job."""
    return f"{task_id}:action:{digest}"


@dataclass
class TaskRecord:
    """What a task did, for the answer people read."""

    actions: list[str] = field(default_factory=list)  # what actions did, or why they were refused
    memories: list[Memory] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)  # lessons waiting for a memory writer's Keep
    buttons: list[Button] = field(default_factory=list)
    looked_at: list[str] = field(default_factory=list)  # what read tools were asked, in a few words each

    def offer(self, offer: Offer) -> None:
        """A lesson the asker may not teach the team: shown with a Keep button for a writer."""
        self.offers.append(offer)
        self.buttons.append(keep_button(offer))


@dataclass(frozen=True)
class AgentServices:
    """The core services tools reach; one set, shared by every task."""

    commands: CommandTable
    deploys: Deploys
    memories: MemoryCommands
    todos: TodoBoard
    following: Following
    marks: Marks
    incidents: Incidents | None = None
    # Push access on each forge: who may start agent tasks there (ops.yaml agent.allow).
    forges: Mapping[ForgeName, ForgeAccess] = field(default_factory=dict)
    # Posts a deploy's status message where the task was asked; None: it stays in the answer.
    reporter: Reporter | None = None
    # The systems the agent may look at (bot.investigation), configured ones only, in their fixed order.
    looks: tuple[Look, ...] = ()


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


class Toolbox:
    def __init__(self, message: ChatMessage, services: AgentServices, fence: Fence) -> None:
        self._message = message
        self._services = services
        self._fence = fence
        self.record = TaskRecord()
        self._own: dict[str, Callable[[dict[str, Any]], Awaitable[str]]] = {
            "deployments": self._deployments,
            "ci_status": self._ci_status,
            "recall_memories": self._recall,
            "remember": self._remember,
            "update_todos": self._update_todos,
        }
        self._looks = {look.spec.name: look for look in services.looks}
        self._commands: dict[str, tuple[Entry[Any, Any], AgentTool]] = {
            tool.name: (entry, tool)
            for entry in services.commands.grammar.agent_callable()
            if (tool := entry.tool) is not None
        }

    async def run(self, call: ToolCall) -> ToolResult:
        try:
            text, is_error = await self._dispatch(call), False
        except CommandError as refusal:
            text, is_error = f"Refused: {refusal}", True
        except UpstreamError as exc:
            text, is_error = f"{exc.service} did not answer this time: {exc.detail}", True
        log.info("agent tool", extra={"tool": call.name, "refused": is_error, "message_id": self._message.id})
        limit = LOOK_RESULT_LIMIT if call.name in self._looks else RESULT_LIMIT
        return ToolResult(call.id, self._fence.wrap("tool-result", text, limit, tool=call.name), is_error)

    async def _look(self, look: Look, given: dict[str, Any]) -> str:
        """A look at a system, bounded in time: a backend that hangs costs the task seconds, not its budget."""
        try:
            return await asyncio.wait_for(look.run(self._message, given), LOOK_TIMEOUT)
        except TimeoutError:
            raise UpstreamUnavailable(look.spec.backend, f"no answer within {LOOK_TIMEOUT:.0f} seconds") from None

    async def _dispatch(self, call: ToolCall) -> str:
        if (look := self._looks.get(call.name)) is not None:
            return await self._look(look, call.input)
        if call.name in self._own:
            return await self._own[call.name](call.input)
        found = self._commands.get(call.name)
        if found is None:
            raise CommandError(f"there is no tool called {call.name!r}")
        entry, tool = found
        if tool.kind == "action":
            try:
                return await self._act_once(entry, tool, call.input)
            except CommandError as refusal:
                self.record.actions.append(f"✋ `{call.name}` was refused: {refusal}")
                raise
        answer = await self._run_command(entry, tool, call.input)
        return answer.text if isinstance(answer, Answer) else answer

    async def _run_command(
        self, entry: Entry[Any, Any], tool: AgentTool, given: dict[str, Any], *, as_request: ChatMessage | None = None
    ) -> Answer | str:
        try:
            command = entry.parse(tool.args(given))
        except UsageProblem as problem:
            raise CommandError(f"`{entry.usage}`: {problem}") from problem
        return await self._services.commands.run(command, as_request or self._message)

    async def _act_once(self, entry: Entry[Any, Any], tool: AgentTool, given: dict[str, Any]) -> str:
        canonical = json.dumps([tool.name, given], sort_keys=True)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        key = f"agent-action:{self._message.id}:{digest}"
        request = replace(self._message, id=action_id(self._message.id, digest))
        done = await self._services.marks.get(key)
        if done is not None:
            answer = Answer.from_json(done)
        else:
            result = await self._run_command(entry, tool, given, as_request=request)
            answer = result if isinstance(result, Answer) else Answer(result)
            await self._services.marks.set(key, ACTION_MEMORY, answer.to_json())
        if answer.text not in self.record.actions:  # called again in this task: it was done once
            self.record.actions.append(answer.text)
        # A dry run reports nothing later: its plan is part of the answer, not a status message.
        reported = tool.name in REPORTED_ACTIONS and given.get("dry_run") is not True
        if not (reported and await self._post_status(request, answer)):
            self.record.buttons.extend(b for b in answer.buttons if b not in self.record.buttons)
        return answer.text

    async def _post_status(self, request: ChatMessage, answer: Answer) -> bool:
        """Post an action's answer as its own message, under the reply key its status reports edit.

        Posted once however often the job runs, and not over a status the forge already
        reported. False when there is no such message: its buttons then go with the answer."""
        reporter = self._services.reporter
        if reporter is None:
            return False
        try:
            await reporter.announce(request.place, f"{request.id}:answer", answer.text, buttons=answer.buttons)
        except UpstreamError as exc:  # the action is done; the answer still says what it did
            log.warning("could not post an action's status", extra={"message_id": request.id, "error": str(exc)})
            return False
        return True

    async def _deployments(self, given: dict[str, Any]) -> str:
        limit = given.get("limit")
        found = await self._services.deploys.history(
            _text(given.get("service")),
            _text(given.get("environment")) or None,
            limit if isinstance(limit, int) and 1 <= limit <= 20 else 10,
        )
        return "\n".join(status_text(d) for d in found) or "No deployments recorded yet."

    async def _ci_status(self, given: dict[str, Any]) -> str:
        service = _text(given.get("service")) or None
        if service is None and isinstance(self._message.place, SlackThread | ConsoleThread):
            raise CommandError("name the service whose CI to check")
        found, ref, sha, checks = await self._services.deploys.checks(
            service, _text(given.get("ref")) or None, self._message.place
        )
        lines = [f"{found.name} {ref} at {sha}:"]
        lines += [f"- {check.name}: {check.state}" for check in checks] or ["- no checks reported"]
        return "\n".join(lines)

    async def _recall(self, given: dict[str, Any]) -> str:
        wanted = _text(given.get("type")) or None
        found = await self._services.memories.recall(self._message, _text(given.get("query")), RECALL_BUDGET)
        found = [m for m in found if wanted is None or m.type == wanted]
        return "\n".join(line(m) for m in found) or "Nothing remembered about that."

    async def _remember(self, given: dict[str, Any]) -> str:
        learned = await self._services.memories.learn(
            self._message,
            _text(given.get("type")),
            _text(given.get("content")),
            source="tool",
            scope=_text(given.get("scope")) or None,
            untrusted=self._fence.material,
        )
        if isinstance(learned, Offer):
            self.record.offer(learned)
            return f"Not kept yet: {learned.id} is offered to a memory writer, who may keep it with a button."
        self.record.memories.append(learned)
        return f"Remembered as {learned.id} ({learned.type}, {learned.scope})."

    async def _update_todos(self, given: dict[str, Any]) -> str:
        todos = parse_todos(given.get("todos"))
        saved = await self._services.todos.agent_list(self._message.place, todos)
        kept = sum(a != b for a, b in zip(saved.todos, todos, strict=True))
        note = f"\n({kept} kept as a person set them since your last list.)" if kept else ""
        if saved.not_opened:
            note += f"\n({saved.not_opened} not opened as issues: this conversation reached its todo issue limit.)"
        return f"Saved {len(saved.todos)} todos:\n{render(saved.todos)}{note}"
