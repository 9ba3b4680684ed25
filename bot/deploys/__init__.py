"""Deploys: requests and their checks, approvals for protected environments, locks, deploys in flight, status,
rollback and the audit trail, with their values (model), ports and commands.

May import bot.commands (to declare its entries), the conversation and the shared modules; never
another feature (incidents hear of deploys through the news callback the composition root wires).
"""
