"""What the team taught the Ops agent: scopes, hygiene and recall, and the remember/memories/forget commands.

May import bot.commands (to declare its entries) and the shared modules (bot.forges for push access);
never another feature.
"""
