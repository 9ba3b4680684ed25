"""The grammar of every feature's entries, in the order the composition root binds them."""

from __future__ import annotations

from bot.commands.table import Grammar
from bot.deploys.commands import DEPLOY_COMMANDS
from bot.deploys.denials import DENY_COMMANDS
from bot.deploys.lock_commands import LOCK_COMMANDS
from bot.incidents.commands import INCIDENT_COMMANDS
from bot.memory.commands import MEMORY_COMMANDS
from bot.todos.commands import TODO_COMMANDS

GRAMMAR = Grammar(
    (*DEPLOY_COMMANDS, *DENY_COMMANDS, *LOCK_COMMANDS, *INCIDENT_COMMANDS, *MEMORY_COMMANDS, *TODO_COMMANDS)
)
