"""Logs are JSON lines and never carry a secret."""

from __future__ import annotations

import json
import logging

from bot.secrets import Secret
from bot.telemetry.logs import REDACTED, JsonFormatter, Scrubber


def render(message: str, secrets: list[Secret], **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord({"msg": message, "levelname": "INFO", "name": "t", **extra})
    line = JsonFormatter(Scrubber(secrets)).format(record)
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_configured_secrets_are_replaced_everywhere() -> None:
    entry = render("token is s3cr3t-value!", [Secret("s3cr3t-value")], delivery="abc", detail="again s3cr3t-value")
    assert entry["msg"] == f"token is {REDACTED}!"
    assert entry["detail"] == f"again {REDACTED}"
    assert entry["delivery"] == "abc"


def test_token_shapes_are_replaced_even_when_not_configured() -> None:
    samples = [
        "xoxb-123456789012-abcdefghijkl",
        "ghp_" + "a" * 36,
        "github_pat_" + "B" * 30,
        "glpat-" + "c" * 20,
        "sk-ant-api03-" + "d" * 30,
        "-----BEGIN RSA PRIVATE KEY-----",
    ]
    for sample in samples:
        entry = render(f"leaked {sample} here", [])
        assert sample not in str(entry["msg"]), sample
        assert "[REDACTED " in str(entry["msg"])
