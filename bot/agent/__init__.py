"""The Ops agent: Claude's loop, its prompt and context, and the tools it may call on a person's behalf.

May import the command table, the features and the conversation below it; not the jobs that run it,
and no client or store (the language model is its own port, bot.agent.language).
"""
