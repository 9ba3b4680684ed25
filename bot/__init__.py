"""opsbot's core: commands, policy and the services behind them.

The core speaks to the world through the Protocols in :mod:`bot.ports`;
:mod:`bot.clients` and :mod:`bot.stores` implement them, and the composition
root in :mod:`handlers.app` wires both together.
"""
