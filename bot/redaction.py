"""Remove secrets from text before it is stored, sent to Claude or logged.

Patterns cover the credentials an ops conversation is likely to contain:
Slack, GitHub, GitLab and Anthropic tokens, AWS access keys, private key
blocks, bearer tokens, and passwords inside URLs. A redaction keeps its kind
("[REDACTED github-token]") so the text still makes sense to a reader.
"""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/(services|commands|workflows)/[A-Za-z0-9/_-]+")),
    ("github-token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("gitlab-token", re.compile(r"\bgl(pat|dt|rt|cbt|ptt|ft|soat|agent)-[A-Za-z0-9_-]{20,}")),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("aws-access-key", re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("aws-secret-key", re.compile(r"(?i)(aws_secret_access_key|secret_access_key)\s*[=:]\s*[A-Za-z0-9/+=]{40}")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*")),
    ("url-password", re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")),
    ("password", re.compile(r"(?i)\b(password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*\S{6,}")),
)


def redact(text: str) -> str:
    for kind, pattern in PATTERNS:
        text = pattern.sub(f"[REDACTED {kind}]", text)
    return text
