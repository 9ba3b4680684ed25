"""Slack's request signature, checked on raw bytes before anything is decoded.

Slack signs ``v0:<timestamp>:<body>`` with HMAC-SHA256 and sends
``X-Slack-Request-Timestamp`` and ``X-Slack-Signature: v0=<hex>``. slack_sdk's
verifier decodes the body as UTF-8 and calls ``int()`` on the timestamp before
comparing, so a non-UTF-8 body, a Unicode digit ("²" passes ``str.isdigit``)
or a 5,000-digit timestamp raised instead of refusing. Here every header is
matched against its exact ASCII shape first and the HMAC is computed over
bytes, so anything unexpected is simply "not signed".
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Sequence

TIMESTAMP_HEADER = b"x-slack-request-timestamp"
SIGNATURE_HEADER = b"x-slack-signature"
REPLAY_WINDOW = 5 * 60  # seconds, as Slack documents
_TIMESTAMP = re.compile(rb"[0-9]{1,12}")  # epoch seconds; twelve digits reach the year 33658
_SIGNATURE = re.compile(rb"v0=[0-9a-f]{64}")


def only_value(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The header's value when it was sent exactly once; None when missing or repeated."""
    found = [value for key, value in headers if key.lower() == name]
    return found[0] if len(found) == 1 else None


class SlackSignature:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def verifies(self, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> bool:
        timestamp = only_value(headers, TIMESTAMP_HEADER)
        signature = only_value(headers, SIGNATURE_HEADER)
        if timestamp is None or signature is None:
            return False
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return False
        if abs(self._clock() - int(timestamp)) > REPLAY_WINDOW:
            return False
        # hmac.digest is OpenSSL's one-shot HMAC: no HMAC object per request.
        expected = hmac.digest(self._secret, b"v0:" + timestamp + b":" + body, "sha256")
        return hmac.compare_digest(expected.hex().encode(), signature[3:])
