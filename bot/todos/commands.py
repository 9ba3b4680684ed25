"""The todos command: the Ops agent's task list in this thread, as people see it.

In a Slack channel (a slash command, not in a thread) it lists the channel's
threads that have open todos instead, newest change first, with links; an
incident channel, whose threads share the channel's one list, shows that list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot.commands.entry import Entry
from bot.commands.grammar import no_args
from bot.model import ChatMessage, SlackThread
from bot.text import channel, link
from bot.todos.lists import Todo, every_item, render
from bot.todos.ports import ThreadLinks, TodoStore

THREADS_LISTED = 20  # a reply people read, not an archive


@dataclass(frozen=True)
class Todos:
    pass


def _progress(todos: list[Todo]) -> str:
    items = every_item(todos)
    return f"{sum(t.status == 'completed' for t in items)} of {len(items)} done"


class TodoCommands:
    def __init__(self, todos: TodoStore, links: ThreadLinks | None = None) -> None:
        self._todos = todos
        self._links = links

    async def show(self, command: Todos, message: ChatMessage) -> str:
        place = message.place
        todos = await self._todos.load(place)
        here = f"**[Ops] todos here** ({_progress(todos)})\n{render(todos)}" if todos else ""
        if isinstance(place, SlackThread) and place.thread_ts is None:
            # The channel's own list (a task asked by slash command, an incident's) comes first.
            threads = await self._threads(place.channel)
            if here and threads:
                return f"{here}\n\n{threads}"
            return here or threads or f"No thread in {channel(place.channel)} has open [Ops] todos."
        return here or "The Ops agent has no todos in this thread."

    async def _threads(self, channel_id: str) -> str:
        threads = await self._todos.open_threads(channel_id)
        lines = []
        for thread in threads[:THREADS_LISTED]:
            todos = await self._todos.load(thread)
            next_up = next((t for t in every_item(todos) if t.status != "completed"), None)
            if next_up is None:
                continue  # finished (or forgotten) since the index was written
            lines.append(f"- {await self._thread_link(thread)} ({_progress(todos)}): next {next_up.content}")
        if not lines:
            return ""
        more = len(threads) - THREADS_LISTED
        tail = f"\n_and {more} more_" if more > 0 else ""
        # Bold stays outside the channel reference: a live reference splits the text Markdown sees.
        heading = f"**Threads with open [Ops] todos** in {channel(channel_id)}, newest first"
        return heading + "\n" + "\n".join(lines) + tail

    async def _thread_link(self, thread: SlackThread) -> str:
        try:  # a Slack ts is seconds.microseconds since the epoch: when the thread started
            label = "thread of " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(thread.thread_ts or "")))
        except ValueError:
            label = "a thread"
        url = await self._links(thread) if self._links is not None else None
        return link(url, label) if url else label


TODO_COMMANDS: tuple[Entry[TodoCommands, Any], ...] = (
    Entry(
        Todos, ("todos",), "todos", "show the Ops agent's task list here (in a channel: its threads with open todos)",
        no_args(Todos()), TodoCommands.show, questions_fall_through=True, example="todos", who="anyone",
    ),
)  # fmt: skip
