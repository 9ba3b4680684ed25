"""Remove secrets from text before it is stored, sent to Claude or logged.

Token shapes with a published format (Slack, GitHub, GitLab, AWS, Azure
storage keys, JWTs, Stripe, Twilio, SendGrid, npm, PyPI, …) are found by
Yelp's detect-secrets detectors, used one by one through their
``analyze_string`` (its whole-line scan with default settings flags nearly
every word of prose). Our own patterns cover what no detector fits: private
key blocks (the detector sees only the header), passwords in connection
strings (with or without a user), Google API keys, Anthropic keys, bearer
tokens, Slack command/workflow webhooks, and secrets introduced in prose by a
keyword ("the db password is …", "pw: …", "token …"). After an explicit
``=``/``:`` any value is a secret; after a bare keyword or "is", only a value
that looks like one (mixed character classes, or detect-secrets' Shannon
entropy above a bound), so "the password is wrong" stays as it is.

A redaction keeps its kind ("[REDACTED github-token]") so the text still
makes sense to a reader. Log lines pass through here too, so a cheap
prefilter skips the detectors for text that has nothing a secret needs.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import DENYLIST
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

# Ours, applied first: shapes no detector covers, or covers only in part.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # The whole block, also inside JSON (a GCP service-account key's "private_key": "-----BEGIN…\n…").
    ("private-key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)", re.S)),  # noqa: E501
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/(services|commands|workflows|triggers)/[A-Za-z0-9/_-]+")),
    ("github-token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("azure-sas", re.compile(r"(?<=[?&]sig=)[^&\s\"']+")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*")),
    # user:password@ or :password@ after a scheme; the last @ before the host ends the password.
    ("url-password", re.compile(r"(?<=://)[^/\s:@]*:[^/\s]*(?=@[^/\s@]+)")),
)  # fmt: skip

DETECTORS: tuple[tuple[str, RegexBasedDetector], ...] = (
    ("slack-token", SlackDetector()),
    ("github-token", GitHubTokenDetector()),
    ("gitlab-token", GitLabTokenDetector()),
    ("aws-access-key", AWSKeyDetector()),
    ("azure-key", AzureStorageKeyDetector()),
    ("jwt", JwtTokenDetector()),
    ("openai-key", OpenAIDetector()),
    ("stripe-key", StripeDetector()),
    ("twilio-key", TwilioKeyDetector()),
    ("sendgrid-key", SendGridDetector()),
    ("mailchimp-key", MailchimpDetector()),
    ("npm-token", NpmDetector()),
    ("pypi-token", PypiTokenDetector()),
    ("discord-token", DiscordBotTokenDetector()),
    ("telegram-token", TelegramBotTokenDetector()),
    ("square-token", SquareOAuthDetector()),
)
# A detector's pattern may stop short of the token's end (GitHub's takes 36 characters):
# the redaction runs on to the end of the word.
_REST_OF_TOKEN = re.compile(r"[A-Za-z0-9_\-]*")

# detect-secrets' keyword list ('api_?key', 'password', 'secret', …) plus words prose uses.
_KEYWORDS = "|".join(
    [k.replace("_?", "[ _-]?") for k in DENYLIST]
    + ["pass(?:word|phrase)s?", "pw", "token", "credentials?", "access[ _-]?key", "sharedaccesskey"]
)
# A keyword as a word or as part of an identifier ("DB_PASSWORD", "api-token", "private_key_id").
_KEYWORD = rf"(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_-])*(?:{_KEYWORDS})(?:[_-][A-Za-z0-9]+)*(?![A-Za-z0-9])"
_QUOTED_OR_BARE = r"\"[^\"\n]+\"|'[^'\n]+'|[^\s\"',;]+"
# keyword = value, keyword: value, "keyword": "value": any value is a secret.
ASSIGNED = re.compile(rf"(?i)({_KEYWORD}[\"']?\s*(?:=>|:=|=|:)\s*)({_QUOTED_OR_BARE})")
# keyword value, keyword is value, keyword for prod is value: only a value that looks secret. The
# keyword starts a word: one inside a URL's path or a file name ("…/apikey 0a1b2c3") is not someone
# saying what a key is.
SAID = re.compile(
    rf"(?i)((?<![^\s\"'(\[{{<]){_KEYWORD}(?:\s+(?:for|of|on|in|to)\s+[\w.-]+)?\s+(?:(?:is|was|=|now|are|set\s+to)\s+)?)([^\s\"',;]+)"
)
_REDACTED = "[REDACTED"
_TRAILING_PUNCTUATION = ".,;:!?)]}"
_ENTROPY = Base64HighEntropyString()  # only its Shannon entropy calculation is used
ENTROPY_LIMIT = 3.5  # bits per character; English words of 12+ letters stay below it rarely enough
ENTROPY_LENGTH = 12  # a shorter value needs mixed character classes to count

# Every secret above contains a keyword's stem, a scheme (a URL with credentials), a key
# block, or a run of 16 token characters. Text with none of them (most log lines) skips the
# detectors; plain substring tests and one character-class search keep this check cheap.
_CUES = ("key", "pass", "pw", "secret", "token", "credential", "contrase", "://", "-----begin")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/]{16}")


def may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(cue in lowered for cue in _CUES) or _TOKEN_RUN.search(text) is not None


def looks_secret(value: str) -> bool:
    """A word that reads as a credential rather than as English: "hunter2-S3cr3t", not "wrong"."""
    if len(value) < 6:
        return False
    if value.isdigit():
        return len(value) >= 6
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    capitalised_word = value[:1].isupper() and value[1:].islower() and value.isalpha()
    plain_word = value.isalpha() and (value.islower() or value.isupper() or capitalised_word)
    if classes >= 2 and not plain_word and not re.fullmatch(r"[A-Za-z]+(-[A-Za-z]+)+", value):
        return True
    return len(value) >= ENTROPY_LENGTH and _ENTROPY.calculate_shannon_entropy(value) > ENTROPY_LIMIT


def _redact_said(text: str) -> str:
    """Each "keyword value" whose value looks secret, redacted. A value that doesn't may itself be
    the keyword of the next one ("token password is hunter2…"), so the search resumes at it."""
    out: list[str] = []
    at = 0
    while (match := SAID.search(text, at)) is not None:
        value = match.group(2)
        kept = value.rstrip(_TRAILING_PUNCTUATION)
        out.append(text[at : match.start(2)])
        if value.startswith(_REDACTED) or not looks_secret(kept):
            at = match.start(2)  # after the keyword and its spacing, so always forward
            continue
        out.append(f"[REDACTED password]{value[len(kept) :]}")
        at = match.end()
    out.append(text[at:])
    return "".join(out)


def _assigned(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[0] in "\"'" else ""
    if value.lstrip("\"'").startswith(_REDACTED):
        return match.group(0)
    return f"{match.group(1)}{quote}[REDACTED password]{quote}"


def _redact_detected(text: str, kind: str, detector: RegexBasedDetector) -> str:
    """Replace what ``detector`` finds, by position: its ``analyze_string`` yields only a pattern's
    capture group when it has one (GitLab's yields "glpat"), so each match of its patterns is
    confirmed by the detector itself (a JWT must decode), then the secret's span is replaced."""
    spans: list[tuple[int, int]] = []
    for pattern in detector.denylist:
        for match in pattern.finditer(text):
            if next(iter(detector.analyze_string(match.group(0))), None) is None:
                continue
            grouped = pattern.groups > 0 and len(match.group(1) or "") >= 8  # AWS: the key, not its name
            start, end = match.span(1) if grouped else match.span()
            rest = _REST_OF_TOKEN.match(text, end)
            spans.append((start, rest.end() if rest else end))
    for start, end in sorted(set(spans), reverse=True):
        if not text[start:end].startswith(_REDACTED):
            text = f"{text[:start]}[REDACTED {kind}]{text[end:]}"
    return text


def redact(text: str) -> str:
    if not may_hold_secret(text):
        return text
    for kind, pattern in PATTERNS:
        text = pattern.sub(f"[REDACTED {kind}]", text)
    for kind, detector in DETECTORS:
        text = _redact_detected(text, kind, detector)
    text = ASSIGNED.sub(_assigned, text)
    return _redact_said(text)
