"""The alert ingest workload: every request a well-formed notification, a group of its own."""

from __future__ import annotations

import json

from tests.bench.workloads import ALERTS_PATH, AlertRequests, AlertSource


def _split(request: bytes) -> tuple[list[str], bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    return head.decode().split("\r\n"), body


def test_each_request_is_a_complete_post_with_the_token_and_a_distinct_group() -> None:
    source = AlertSource(AlertRequests.build("127.0.0.1:8080", "opsbot-0123456789ab", "am-token"))
    seen: set[str] = set()
    for _ in range(3):
        item = source.next()
        assert item is not None
        notification, request = item
        lines, body = _split(request)
        assert lines[0] == f"POST {ALERTS_PATH} HTTP/1.1"
        assert "authorization: Bearer am-token" in lines
        assert f"Content-Length: {len(body)}" in lines
        payload = json.loads(body)
        assert payload["version"] == "4"
        assert notification in payload["groupKey"]
        assert payload["groupLabels"]["test_id"] == notification
        assert [a["fingerprint"] for a in payload["alerts"]] == [notification]
        seen.add(payload["groupKey"])
    assert len(seen) == 3
