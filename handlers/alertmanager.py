"""``POST /alertmanager/webhook``: Alertmanager's webhook receiver, and Grafana's webhook contact point.

Both send ``Authorization: Bearer <token>`` (Alertmanager's
``http_config.authorization``, Grafana's authorization header credentials);
the token is compared in constant time and never logged. Alertmanager re-sends
a group on every ``group_interval`` change and every ``repeat_interval``, with
no delivery id, so a notification is deduplicated on its group key and a
digest of what its alerts say: a re-send with nothing new is dropped here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.alerts.ports import group_id
from bot.jobs.intake import Intake
from bot.jobs.kinds import Job
from bot.secrets import Secret
from bot.telemetry.metrics import Metrics
from handlers.alertmanager_payload import parse_notification
from handlers.http_payloads import MalformedPayload
from handlers.web import Door, same_secret, single_header

SOURCE = "alertmanager"
AUTHORIZATION_HEADER = "authorization"
BEARER = "bearer "  # the scheme is case-insensitive (RFC 9110); Alertmanager and Grafana send "Bearer"


def bearer_matches(token: bytes, header: str | None) -> bool:
    if header is None or header[: len(BEARER)].lower() != BEARER:
        return False
    return same_secret(token, header[len(BEARER) :])


def dedupe_key(group_key: str, digest: str) -> str:
    return f"{SOURCE}:{group_id(group_key)}:{digest}"


class AlertmanagerWebhook:
    def __init__(self, token: Secret | None, intake: Intake, metrics: Metrics) -> None:
        self._token = token.reveal().encode() if token else None
        self._door = Door(SOURCE, intake, metrics)

    async def handle(self, request: Request) -> Response:
        token = self._token
        body = await self._door.verified_body(
            request,
            None if token is None else lambda _: bearer_matches(token, single_header(request, AUTHORIZATION_HEADER)),
        )
        if isinstance(body, Response):
            return body
        try:
            notification = parse_notification(body)
        except MalformedPayload as exc:
            return self._door.reject(400, "malformed", f"malformed notification: {exc}")
        self._door.received()
        job = Job.of(notification, trace={"receiver": notification.receiver[:100], "source": notification.source})
        return await self._door.admit_webhook(dedupe_key(notification.group_key, notification.digest), job)
