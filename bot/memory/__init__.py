"""What the team taught the Ops agent: scopes, hygiene and recall, and the remember/memories/forget/keep commands.

May import bot.commands (to declare its entries) and the shared modules (bot.forges for push access,
bot.config for services and memory writers, bot.ports for Marks, which hold offered lessons);
never another feature.
"""
