"""What a command's parser is made of: the word checks every feature's sentences share.

A parser takes the words after its command words and returns the command
value, or raises :class:`UsageProblem`; the table turns that into the
entry's usage line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.commands.names import is_name, is_ref

C = TypeVar("C")


class UsageProblem(Exception):
    """Raised by a parser; becomes a :class:`~bot.commands.types.Malformed` with the entry's usage."""


def name(value: str, what: str) -> str:
    if not is_name(value):
        raise UsageProblem(f"{value!r} is not a valid {what} name (letters, digits, '.', '_', '-')")
    return value


def ref(value: str) -> str:
    if not is_ref(value):
        raise UsageProblem(f"{value!r} is not a valid git ref")
    return value


def split_option(args: list[str], option: str) -> tuple[list[str], str | None]:
    """Split ``args`` at ``option``; the words after it are its value."""
    if option not in args:
        return args, None
    at = args.index(option)
    value = " ".join(args[at + 1 :]).strip()
    if not value:
        raise UsageProblem(f"{option} needs a value")
    return args[:at], value


def split_flag(args: list[str], flag: str) -> tuple[list[str], bool]:
    """``args`` without ``flag`` (a switch that takes no value, anywhere among them), and whether it was there."""
    rest = [arg for arg in args if arg.lower() != flag]
    return rest, len(rest) != len(args)


def no_other_options(args: list[str], known: str) -> None:
    """Refuse any ``--option`` left in ``args``: names and refs never start with ``-``, so it is one."""
    unknown = next((arg for arg in args if arg.startswith("--")), None)
    if unknown is not None:
        raise UsageProblem(f"doesn't know the option {unknown!r} (it takes {known})")


def no_args(command: C) -> Callable[[list[str]], C]:
    def parse(args: list[str]) -> C:
        if args:
            raise UsageProblem("takes no arguments")
        return command

    return parse
