"""Alerts from Alertmanager and Grafana."""
