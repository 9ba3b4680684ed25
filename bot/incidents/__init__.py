"""Incidents: their model and timeline, the lifecycle (declare, commander, update, resolve), reminders and deploy
news, with their ports.

May import the conversation, job kinds and ports and the shared modules; never another feature.
"""
