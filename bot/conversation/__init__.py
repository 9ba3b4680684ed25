"""A message addressed to opsbot: what counts as a mention, hidden markers, following threads, replying once,
reporting status.

Below the features, which report through it; chatops, which turns a message into a command and its answer,
sits above the features and uses the command table it is handed. Otherwise imports only the shared
modules (bot.model, bot.ports, bot.text, …).
"""
