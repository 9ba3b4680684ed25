"""Alerts from Alertmanager (and Grafana): routing, one Slack message per alert group.

How it fits together:

- ``model``: :class:`~bot.alerts.model.Notification` (one webhook delivery, job kind
  ``alert.notification``) and :class:`~bot.alerts.model.Alert`. ``handlers/alertmanager.py``
  parses the body (``handlers/alertmanager_payload.py``) and queues it, deduplicated on the
  group key and :attr:`Notification.digest`.
- ``routing``: the channel for a group, from ops.yaml's ``alerts.routes`` (first match wins)
  or ``alerts.default_channel``.
- ``groups``: :class:`~bot.alerts.groups.AlertGroups.notified`, the core service the worker
  runs: merge, decide what changed, post or edit the message, post the threaded note.
- ``render``: the message text and its buttons; the buttons' action ids
  (``SILENCE_1H_ACTION``, ``SILENCE_4H_ACTION``, ``DECLARE_ACTION``, ``ASK_ACTION``) are wire
  strings, and each button's value is the group's :func:`~bot.alerts.ports.group_id`.
- ``ports``: :class:`~bot.alerts.ports.AlertGroupStore` (Redis: ``bot.stores.alerts``; fake:
  ``bot.alerts.fakes``) keeps an :class:`~bot.alerts.ports.AlertGroup` per group id: channel,
  message ts, every alert by fingerprint, first seen, last notified, resolved, and for the
  buttons ``silence_id`` / ``silenced_until`` / ``silenced_by`` and ``incident_id``, which
  every update here keeps as they are. ``LastDeploys`` is the callback the composition root
  wires to the deploys feature for the "api was deployed 12 min ago" line.

Handling the buttons (silences through Alertmanager's API v2, declaring an incident, asking the
Ops agent) and reconciling silenced groups from Alertmanager build on these: load the group by
the button's value, update it under the same mutex (``groups.MUTEX`` + group id), save it, and
re-render with :func:`~bot.alerts.render.render`.
"""
