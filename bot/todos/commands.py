"""The todos command: the Ops agent's task list in this thread, as people see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.commands.entry import Entry
from bot.commands.grammar import no_args
from bot.model import ChatMessage
from bot.todos.lists import every_item, render
from bot.todos.ports import TodoStore


@dataclass(frozen=True)
class Todos:
    pass


class TodoCommands:
    def __init__(self, todos: TodoStore) -> None:
        self._todos = todos

    async def show(self, command: Todos, message: ChatMessage) -> str:
        todos = await self._todos.load(message.place)
        if not todos:
            return "The Ops agent has no todos in this thread."
        items = every_item(todos)
        done = sum(todo.status == "completed" for todo in items)
        return f"**[Ops] todos here** ({done} of {len(items)} done)\n{render(todos)}"


TODO_COMMANDS: tuple[Entry[TodoCommands, Any], ...] = (
    Entry(
        Todos, ("todos",), "todos", "show the Ops agent's task list here", no_args(Todos()), TodoCommands.show,
        questions_fall_through=True,
    ),
)  # fmt: skip
