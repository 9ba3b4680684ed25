"""Secrets never survive redaction; ordinary ops text does."""

from __future__ import annotations

import pytest

from bot.redaction import redact

SECRETS = [
    ("xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJ", "slack-token"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", "slack-webhook"),
    ("ghp_" + "A1b2C3d4" * 5, "github-token"),
    ("github_pat_" + "x" * 40, "github-token"),
    ("glpat-" + "y" * 20, "gitlab-token"),
    ("sk-ant-api03-" + "z" * 40, "anthropic-key"),
    ("AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-key"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIB\n-----END RSA PRIVATE KEY-----", "private-key"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature", "bearer-token"),
    ("password=hunter2hunter2", "password"),
]


@pytest.mark.parametrize(("secret", "kind"), SECRETS)
def test_secrets_are_replaced_with_their_kind(secret: str, kind: str) -> None:
    text = f"before {secret} after"
    redacted = redact(text)
    assert secret not in redacted
    assert f"[REDACTED {kind}]" in redacted
    assert redacted.startswith("before ")


def test_passwords_in_urls_keep_the_rest_of_the_url() -> None:
    assert redact("redis://admin:s3cr3t@redis.internal:6379/0") == (
        "redis://[REDACTED url-password]@redis.internal:6379/0"
    )


def test_ordinary_ops_text_is_untouched() -> None:
    text = "Deploy api@v1.2.3 to staging after the db migration; check https://grafana.example/d/api"
    assert redact(text) == text
