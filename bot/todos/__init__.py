"""The Ops agent's todos: the list and its merge rules, the board that publishes it, the checklist and issues mirrors.

May import the conversation and the shared modules (bot.forges for push access); never another feature (an
incident's tracking issue arrives as a callback).
"""
