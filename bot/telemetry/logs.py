"""Structured JSON logs, one object per line, scrubbed of secrets.

Every record is passed through :class:`Scrubber` before it is written: the
configured credentials are replaced wherever they appear, and so is
anything :mod:`bot.redaction` recognises as a secret, in case one arrives
from outside the configuration (a payload, an upstream error message).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable

import orjson

from bot.redaction import redact
from bot.secrets import Secret

REDACTED = "[REDACTED]"
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Scrubber:
    def __init__(self, secrets: Iterable[Secret]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._values = sorted({s.reveal() for s in secrets if len(s.reveal()) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return redact(text)


class JsonFormatter(logging.Formatter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self._scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        # Each value is scrubbed before encoding, so a redaction can never
        # reach across a JSON boundary and break the line.
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": self._scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                plain = isinstance(value, (int, float, bool)) or value is None
                entry[key] = value if plain else self._scrub(str(value))
        if record.exc_info:
            entry["exc"] = self._scrub(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


def configure_logging(secrets: Iterable[Secret], level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(Scrubber(secrets)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries log request details at DEBUG/INFO; keep them quiet.
    for noisy in ("slack_bolt", "slack_sdk", "github", "gitlab", "urllib3", "httpx", "anthropic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
