"""Which Slack channel an alert group goes to: the first route whose matchers its labels satisfy."""

from __future__ import annotations

from collections.abc import Mapping

from bot.alerts.model import Notification
from bot.config import AlertsConfig


def group_labels(notification: Notification) -> dict[str, str]:
    """The labels every alert of the group shares: Alertmanager's common labels, which
    include the group-by labels (Grafana may send fewer common labels than group labels)."""
    return {**notification.common_labels, **notification.group_labels}


def matches(labels: Mapping[str, str], match: Mapping[str, str]) -> bool:
    return all(labels.get(name) == value for name, value in match.items())


def channel_for(labels: Mapping[str, str], alerts: AlertsConfig) -> str | None:
    """The first matching route's channel, else the default channel; None when there is neither."""
    for route in alerts.routes:
        if matches(labels, route.match):
            return route.channel
    return alerts.default_channel
