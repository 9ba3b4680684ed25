"""Secrets never survive redaction; ordinary ops text does."""

from __future__ import annotations

import base64
import json
import string

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.redaction import may_hold_secret, redact

SECRETS = [
    ("xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJ", "slack-token"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", "slack-webhook"),
    ("ghp_" + "A1b2C3d4" * 5, "github-token"),
    ("github_pat_" + "x" * 40, "github-token"),
    ("glpat-" + "y" * 20, "gitlab-token"),
    ("sk-ant-api03-" + "z" * 40, "anthropic-key"),
    ("AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "password"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIB\n-----END RSA PRIVATE KEY-----", "private-key"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature", "bearer-token"),
    ("password=hunter2hunter2", "password"),
    ("the db password is hunter2-S3cr3t-XYZ", "password"),
    ("passwd: swordfish", "password"),
    ("secret=opensesame", "password"),
    ("token 9f8e7d6c5b4aZZ", "password"),
    ("pw Tr0ub4dor&3", "password"),
    ("the api key is 51c2a0e9b7d4", "password"),
    ('"client_secret": "abc def ghi"', "password"),
    ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "google-api-key"),
    ("AccountKey=" + "Ab3/" * 21 + "Ab==", "azure-key"),
    ("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=abcDEF123=", "password"),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "jwt",
    ),
    ("sk_live_" + "a1B2" * 6, "stripe-key"),
]


@pytest.mark.parametrize(("secret", "kind"), SECRETS)
def test_secrets_are_replaced_with_their_kind(secret: str, kind: str) -> None:
    text = f"before {secret} after"
    redacted = redact(text)
    assert secret not in redacted
    assert f"[REDACTED {kind}]" in redacted
    assert redacted.startswith("before ")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://admin:s3cr3t@redis.internal:6379/0", "redis://[REDACTED url-password]@redis.internal:6379/0"),
        ("redis://:s3cr3t@redis.internal:6379", "redis://[REDACTED url-password]@redis.internal:6379"),
        ("postgres://u:p@db/app", "postgres://[REDACTED url-password]@db/app"),
        ("mongodb+srv://ops:p@ss@c0.x.mongodb.net/db", "mongodb+srv://[REDACTED url-password]@c0.x.mongodb.net/db"),
    ],
)
def test_passwords_in_connection_strings_keep_the_rest_of_the_url(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_a_gcp_service_account_key_loses_its_private_parts() -> None:
    key = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": "4f2a9c0e1b7d3a5c6e8f0a1b2c3d4e5f6a7b8c9d",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
        "client_email": "deployer@acme-prod.iam.gserviceaccount.com",
    }
    redacted = redact(json.dumps(key))
    assert "MIIEvQ" not in redacted
    assert key["private_key_id"] not in redacted
    assert json.loads(redacted)["project_id"] == "acme-prod"  # still JSON, the rest kept


def test_ordinary_ops_text_is_untouched() -> None:
    text = "Deploy api@v1.2.3 to staging after the db migration; check https://grafana.example/d/api"
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "the password is wrong",
        "the token expired yesterday; rotate the deploy token for staging",
        "reset your password in the portal",
        "keep the secret sauce secret",
        "the API key is missing from the vault",
    ],
)
def test_keywords_followed_by_plain_words_are_prose(text: str) -> None:
    assert redact(text) == text


WORDS = [
    "the",
    "a",
    "we",
    "it",
    "is",
    "was",
    "deploy",
    "api",
    "web",
    "billing",
    "to",
    "staging",
    "production",
    "rollback",
    "after",
    "before",
    "check",
    "failed",
    "succeeded",
    "pipeline",
    "migration",
    "database",
    "cache",
    "latency",
    "error",
    "rate",
    "alert",
    "page",
    "on-call",
    "incident",
    "review",
    "why",
    "did",
    "slow",
    "queue",
    "worker",
    "restart",
    "pods",
    "nodes",
    "cluster",
    "region",
    "us-east-1",
    "eu-west-1",
    "release",
    "tag",
    "branch",
    "main",
    "merged",
    "approved",
    "locked",
    "unlocked",
    "because",
    "load",
    "test",
    "traffic",
    "dashboard",
    "grafana",
    "logs",
    "metrics",
    "Monday",
    "Alice",
    "Bob",
    "please",
    "thanks",
    "OK",
    "I'll",
    "ship",
    "it",
    "today",
    "tomorrow",
    "soon",
]
SHA = st.text("0123456789abcdef", min_size=7, max_size=40)
TIMESTAMP = st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
URL = st.builds(
    lambda host, path: f"https://{host}.example.com/{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=12),
    st.text(string.ascii_lowercase + "/-", max_size=20),
)
VERSION = st.builds(lambda a, b, c: f"v{a}.{b}.{c}", st.integers(0, 99), st.integers(0, 99), st.integers(0, 999))
ORDINARY = st.lists(st.one_of(st.sampled_from(WORDS), SHA, TIMESTAMP, URL, VERSION), max_size=20).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(ORDINARY)
@example("https://a.example.com/apikey 0000000")  # a keyword ending a URL, then a SHA
def test_ordinary_sentences_shas_timestamps_and_urls_are_left_unchanged(text: str) -> None:
    assert redact(text) == text


KEYWORDS = st.sampled_from(
    ["password", "Password", "DB_PASSWORD", "passwd", "pwd", "pw", "secret", "client_secret", "token",
     "api key", "API_KEY", "api-token", "passphrase", "private_key"]
)  # fmt: skip
SEPARATORS = st.sampled_from([" is ", ": ", "=", " ", " = ", ":", " was ", " for prod is ", "\t"])
SECRET_TEXT = st.text(string.ascii_letters + string.digits + "-_+*#$%&/~^", min_size=8, max_size=40).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s)
)


@settings(max_examples=200, deadline=None)
@given(before=ORDINARY, keyword=KEYWORDS, separator=SEPARATORS, secret=SECRET_TEXT, after=ORDINARY)
@example(before="https://a.example.com/token", keyword="password", separator=" is ", secret="0000000A", after="")
@example(before="token", keyword="password", separator=" is ", secret="0000000A", after="")
def test_a_secret_after_a_keyword_is_always_removed(
    before: str, keyword: str, separator: str, secret: str, after: str
) -> None:
    assume(secret not in before and secret not in after)
    redacted = redact(f"{before} {keyword}{separator}{secret} {after}")
    assert secret not in redacted
    assert "[REDACTED" in redacted


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


TOKEN_CHARS = string.ascii_letters + string.digits
TOKENS = st.one_of(
    st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(lambda s: "AKIA" + s),
    st.text(TOKEN_CHARS, min_size=36, max_size=36).map(lambda s: "ghp_" + s),
    st.text(TOKEN_CHARS + "-_", min_size=35, max_size=35).map(lambda s: "AIza" + s),
    st.text(TOKEN_CHARS + "-_", min_size=20, max_size=40).map(lambda s: "glpat-" + s),
    st.builds(
        lambda claims, signature: ".".join(
            [_b64(b'{"alg":"HS256","typ":"JWT"}'), _b64(json.dumps(claims).encode()), _b64(signature)]
        ),
        st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=5), st.integers(), max_size=4),
        st.binary(min_size=32, max_size=32),
    ),
)


@settings(max_examples=200, deadline=None)
@given(before=ORDINARY, token=TOKENS, after=ORDINARY)
def test_token_shapes_are_removed_wherever_they_stand(before: str, token: str, after: str) -> None:
    assume(token not in before and token not in after)
    assert token not in redact(f"{before} {token} {after}")


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(["postgres", "postgresql", "redis", "rediss", "mongodb+srv", "amqp", "mysql"]),
    user=st.text(string.ascii_lowercase + string.digits, max_size=10),
    password=st.text(string.ascii_letters + string.digits + "%!*", min_size=1, max_size=30),
    host=st.text(string.ascii_lowercase, min_size=1, max_size=10),
)
def test_connection_string_credentials_are_removed(scheme: str, user: str, password: str, host: str) -> None:
    redacted = redact(f"connect with {scheme}://{user}:{password}@{host}.internal:5432/app please")
    assert f":{password}@" not in redacted
    assert redacted.endswith(f"@{host}.internal:5432/app please")


TYPICAL_LOG_LINES = [
    '{"ts": "2026-12-02T20:18:51.123Z", "level": "info", "logger": "bot.jobs.worker", "msg": "job done", '
    '"kind": "chat.message", "id": "github:comment:1234567", "duration_ms": 12}',
    "job done",
    "todo change",
    "could not tell open incidents of a deploy",
]


@pytest.mark.parametrize("line", TYPICAL_LOG_LINES)
def test_typical_log_lines_skip_the_detectors(line: str) -> None:
    assert not may_hold_secret(line)
    assert redact(line) == line


def test_the_prefilter_lets_every_secret_through() -> None:
    assert all(may_hold_secret(secret) for secret, _ in SECRETS)
