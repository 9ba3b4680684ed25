"""`todos`: a thread's list, or in a Slack channel the threads with open todos."""

from __future__ import annotations

from bot.model import ChatMessage, Person, SlackThread
from bot.text import strip_tokens
from bot.todos.commands import THREADS_LISTED, TodoCommands, Todos
from bot.todos.fakes import FakeTodoStore
from bot.todos.lists import Todo

OPEN = [Todo("[Ops] drain", "completed"), Todo("[Ops] upgrade", "pending", children=(Todo("[Ops] a", "pending"),))]


def asked(place: SlackThread) -> ChatMessage:
    return ChatMessage("slack:command:1", Person("slack", "U_ALICE"), place, "todos", "slash")


async def link(thread: SlackThread) -> str | None:
    return None if thread.thread_ts == "1700000001.000000" else f"https://acme.slack.com/archives/{thread.thread_ts}"


async def test_a_channel_lists_its_threads_and_says_how_many_more() -> None:
    clock = [1000.0]
    store = FakeTodoStore(lambda: clock[0])
    for n in range(THREADS_LISTED + 2):
        clock[0] += 1
        await store.save(SlackThread("C_OPS", f"{1700000000 + n}.000000"), OPEN)
    shown = strip_tokens(await TodoCommands(store, link).show(Todos(), asked(SlackThread("C_OPS"))))
    lines = shown.splitlines()
    assert len(lines) == 1 + THREADS_LISTED + 1
    assert "https://acme.slack.com/archives/1700000021.000000" in lines[1]
    assert lines[1].endswith("(1 of 3 done): next [Ops] upgrade")
    assert lines[-1] == "_and 2 more_"


async def test_a_thread_without_a_link_is_still_listed_and_an_empty_channel_says_so() -> None:
    store = FakeTodoStore()
    command = TodoCommands(store)
    assert "No thread in" in await command.show(Todos(), asked(SlackThread("C_OPS")))
    await store.save(SlackThread("C_OPS", "1700000001.000000"), OPEN)
    shown = await TodoCommands(store, link).show(Todos(), asked(SlackThread("C_OPS")))
    assert "- thread of 2023-11-14 22:13 UTC (1 of 3 done)" in shown


async def test_a_channels_own_list_comes_before_its_threads() -> None:
    store = FakeTodoStore()
    await store.save(SlackThread("C_INC"), OPEN)  # an incident's, or a task asked by slash command
    shown = await TodoCommands(store, link).show(Todos(), asked(SlackThread("C_INC")))
    assert shown.startswith("**[Ops] todos here** (1 of 3 done)")
    assert "Threads with open" not in shown
    await store.save(SlackThread("C_INC", "1700000005.000000"), OPEN)
    own, threads = (await TodoCommands(store, link).show(Todos(), asked(SlackThread("C_INC")))).split("\n\n")
    assert own.startswith("**[Ops] todos here** (1 of 3 done)")
    assert threads.startswith("**Threads with open [Ops] todos**")
    assert "in this thread" in await TodoCommands(store).show(Todos(), asked(SlackThread("C_INC", "9.0")))
