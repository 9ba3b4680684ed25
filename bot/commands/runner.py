"""Carry out a parsed command on behalf of the person who asked."""

from __future__ import annotations

from bot.commands.registry import help_lines
from bot.commands.types import Command, Help
from bot.model import ChatMessage


def command_prefix(message: ChatMessage, bot_name: str) -> str:
    """How the person invokes opsbot where they are: ``/ops `` or ``@opsbot ``."""
    if message.platform_uses_slash():
        return "/ops "
    return f"@{bot_name} "


class CommandRunner:
    def __init__(self, bot_name: str) -> None:
        self._bot_name = bot_name

    async def run(self, command: Command, message: ChatMessage) -> str:
        if isinstance(command, Help):
            return self.help(message)
        # The rest of the grammar is parsed and validated already; each
        # capability switches on as it lands, and until then says so plainly
        # rather than pretending to act.
        name = type(command).__name__.lower()
        return f"`{name}` is part of opsbot's grammar but is not available in this version yet."

    def help(self, message: ChatMessage) -> str:
        prefix = command_prefix(message, self._bot_name)
        return "\n".join(["**opsbot** understands:", *(f"• {line}" for line in help_lines(prefix))])
