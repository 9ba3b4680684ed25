"""Webhooks refused while the store was down, asked for again once it is back.

GitHub and GitLab do not redeliver a webhook opsbot answered 503 (Slack does).
GitHub keeps every delivery of a hook for a few days and redelivers one on
request, so opsbot asks for the ones it refused; GitLab's API can't, so its
edge logs each refused delivery for an operator to resend.

How it fits together:

- ``model``: :class:`~bot.redelivery.model.HookDelivery`, one delivery as the
  forge recorded it, and :class:`~bot.redelivery.model.RecoveryDue`, the job
  (kind ``webhook.recovery``) that runs one recovery pass on a worker.
- ``choice``: which deliveries to ask for, a rule on plain values: refused at
  our door (5xx or no answer), not handled since, not asked for before, inside
  the window; newest first, capped per pass.
- ``ports``: :class:`~bot.redelivery.ports.HookDeliveries` (the forge:
  ``bot.clients.github_hooks``) and :class:`~bot.redelivery.ports.SeenEvents`
  (the door's dedupe records: ``bot.stores.seen``); fakes in ``fakes``.
- ``recovery``: :class:`~bot.redelivery.recovery.WebhookRecovery`, the pass
  itself, one at a time across processes (a mutex), remembering what it asked
  for (marks) so no later pass asks again.
- ``outages``: :class:`~bot.redelivery.outages.OutageWatch`, which queues a pass
  once the store answers again after an outage seen at the door (or when a
  worker starts, after a crash).
"""
