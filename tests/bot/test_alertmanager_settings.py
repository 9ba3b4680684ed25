"""Settings: Alertmanager's API is optional, and its token is a secret."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import Settings


def test_alertmanager_is_off_unless_its_url_is_set() -> None:
    settings = Settings.from_env({})
    assert settings.alertmanager_url is None
    assert settings.alertmanager_token is None


def test_the_url_loses_its_trailing_slash_and_the_token_is_kept_secret() -> None:
    settings = Settings.from_env({"ALERTMANAGER_URL": "http://am:9093/prefix/", "ALERTMANAGER_TOKEN": "am-token-123"})
    assert settings.alertmanager_url == "http://am:9093/prefix"
    assert settings.alertmanager_token is not None
    assert settings.alertmanager_token.reveal() == "am-token-123"
    assert "am-token-123" not in repr(settings)
    assert settings.alertmanager_token in settings.secrets()


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"ALERTMANAGER_URL": "am:9093"}, "ALERTMANAGER_URL must be an http:// or https:// URL"),
        ({"ALERTMANAGER_TOKEN": "t"}, "ALERTMANAGER_TOKEN is set but ALERTMANAGER_URL is not"),
    ],
)
def test_a_wrong_alertmanager_setting_is_named(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert any(p.startswith(problem) for p in raised.value.problems)
