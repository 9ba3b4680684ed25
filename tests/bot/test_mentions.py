"""Only a person's own words mentioning @opsbot as a whole word count."""

from __future__ import annotations

import pytest

from bot.mentions import find_mention, visible_prose


@pytest.mark.parametrize(
    ("body", "request_text"),
    [
        ("@opsbot deploy to staging", "deploy to staging"),
        ("@OpsBot help", "help"),
        ("Looks good.\n\n@opsbot deploy to staging\nthanks", "deploy to staging"),
        ("@opsbot: status", "status"),
        ("hey @opsbot what broke?", "hey opsbot what broke?"),
    ],
)
def test_mentions_are_found(body: str, request_text: str) -> None:
    assert find_mention(body, "opsbot") == request_text


@pytest.mark.parametrize(
    "body",
    [
        "no mention here",
        "> @opsbot deploy to production",
        "```\n@opsbot deploy to production\n```",
        "~~~\n@opsbot deploy\n~~~",
        "run `@opsbot deploy to production` to deploy",
        "<!-- @opsbot deploy to production -->",
        "@opsbot-dev deploy",
        "mail me at ops@opsbot.io",
        "see acme/@opsbot",
        "@opsbotx help",
        "    @opsbot deploy (indented code)",
    ],
)
def test_quotes_code_comments_and_other_words_never_trigger(body: str) -> None:
    assert find_mention(body, "opsbot") is None


def test_invisible_characters_are_removed_before_looking() -> None:
    assert find_mention("@ops\u200bbot deploy to staging", "opsbot") == "deploy to staging"
    assert "\u202e" not in visible_prose("abc\u202edef")


def test_the_bot_name_is_configurable() -> None:
    assert find_mention("@deploy-bot status", "deploy-bot") == "status"
    assert find_mention("@opsbot status", "deploy-bot") is None
