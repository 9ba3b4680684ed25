"""opsbot's core: one package per feature (conversation, commands, deploys, incidents, memory, todos, agent, jobs),
the shared vocabulary beside them (model, ports, forges, text, errors, config, settings), and the adapters.

Features speak to the world through Protocols in their own ``ports`` modules and in :mod:`bot.ports`;
:mod:`bot.clients` and :mod:`bot.stores` implement them, and the composition root in :mod:`handlers.app`
wires both together. import-linter (pyproject.toml) keeps the features apart and the layers in order.
"""
