"""A signed Slack request of the wrong shape fails the way every source's does."""

from __future__ import annotations

import pytest

from handlers.http_payloads import MalformedPayload
from handlers.slack_payloads import check_shape


@pytest.mark.parametrize(
    "fields",
    [
        {"command": "/ops", "channel_id": "C1", "text": "status"},  # no user_id
        {"type": "event_callback", "event": {"type": "app_mention", "channel": "C1", "ts": 1}},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": "approve"},
        {"type": "event_callback", "event": {"type": "app_home_opened", "tab": "home"}},  # whose Home?
        {"type": "event_callback", "event": {"type": "app_home_opened", "user": {"id": "U1"}, "tab": "home"}},
    ],
)
def test_a_field_a_listener_reads_of_the_wrong_shape_is_a_malformed_payload(fields: dict[str, object]) -> None:
    with pytest.raises(MalformedPayload) as raised:
        check_shape(fields)
    assert "\n" not in str(raised.value)
    assert str(raised.value)


def test_a_request_of_the_right_shape_passes() -> None:
    check_shape({"command": "/ops", "user_id": "U1", "channel_id": "C1", "text": "status"})
    check_shape({"type": "event_callback", "event": {"type": "reaction_added", "whatever": 1}})
    check_shape({"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1", "channel": "D1"}})
