"""Settings: integrations switch on only with every secret, and fail closed."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import DEFAULT_SLACK_API_URL, ProgressPacing, Settings


def test_nothing_set_means_everything_off_and_the_embedded_store() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert not settings.slack_enabled
    assert not settings.github_webhook_enabled
    assert not settings.gitlab_webhook_enabled
    assert not settings.assistant_enabled
    assert not settings.alertmanager_webhook_enabled
    assert settings.github_credentials is None
    assert settings.bot_name == "opsbot"
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL


def test_every_contract_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://r:6379/0",
            "OPSBOT_BOT_NAME": "@deploybot",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "GITHUB_TOKEN": "ghp_x",
            "GITHUB_WEBHOOK_SECRET": "w",
            "GITHUB_API_URL": "https://ghe.example/api/v3/",
            "GITLAB_TOKEN": "glpat-x",
            "GITLAB_WEBHOOK_SECRET": "g",
            "GITLAB_URL": "https://gitlab.example/",
            "ANTHROPIC_API_KEY": "sk-ant-x",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            "OPSBOT_MODEL": "claude-test",
            "ALERTMANAGER_WEBHOOK_TOKEN": "am-token",
        }
    )
    assert settings.alertmanager_webhook_enabled
    assert "am-token" in [s.reveal() for s in settings.secrets()]
    assert settings.slack_enabled
    assert settings.github_webhook_enabled
    assert settings.gitlab_webhook_enabled
    assert settings.bot_name == "deploybot"
    assert settings.github_credentials == "token"
    assert settings.github_api_url == "https://ghe.example/api/v3"
    assert settings.gitlab_url == "https://gitlab.example"
    assert settings.model == "claude-test"
    assert settings.assistant_enabled


def test_half_configured_integrations_are_problems() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "GITHUB_APP_ID": "12", "REDIS_URL": "http://x"})
    text = "\n".join(caught.value.problems)
    assert "SLACK_SIGNING_SECRET is missing" in text
    assert "GITHUB_APP_PRIVATE_KEY" in text
    assert "REDIS_URL" in text
    assert len(caught.value.problems) == 3


def test_secrets_never_print() -> None:
    settings = Settings.from_env({"GITHUB_WEBHOOK_SECRET": "hunter2-very-secret"})
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.github_webhook_secret)
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.reveal() == "hunter2-very-secret"


def test_the_home_refresh_delay_is_read_and_must_be_more_than_zero() -> None:
    assert Settings.from_env({}).home_refresh_delay == 3.0
    assert Settings.from_env({"OPSBOT_HOME_REFRESH_DELAY": "0.5"}).home_refresh_delay == 0.5
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"OPSBOT_HOME_REFRESH_DELAY": "0"})  # a refresh must wait for what it coalesces
    assert "OPSBOT_HOME_REFRESH_DELAY must be greater than 0" in str(caught.value)


def test_progress_pacing_is_read_and_zero_shows_every_step() -> None:
    assert Settings.from_env({}).progress == ProgressPacing(slack=1.0, forge=3.0)
    paced = Settings.from_env({"OPSBOT_PROGRESS_SLACK_INTERVAL": "0", "OPSBOT_PROGRESS_FORGE_INTERVAL": "5"})
    assert paced.progress == ProgressPacing(slack=0.0, forge=5.0)
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"OPSBOT_PROGRESS_FORGE_INTERVAL": "-1"})
    assert "OPSBOT_PROGRESS_FORGE_INTERVAL must be 0 or more" in str(caught.value)


HOOKED = {"GITHUB_WEBHOOK_SECRET": "w", "GITHUB_TOKEN": "ghp_x", "GITHUB_WEBHOOK_HOOK_ID": "12"}


@pytest.mark.parametrize(
    ("env", "recovered"),
    [
        ({"GITHUB_WEBHOOK_SECRET": "w", "GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "pem"}, "app"),
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "acme/api"}, "repo"),
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_ORG": "acme"}, "org"),
        # The App's key beside a token: the App's own webhook is still the one GitHub delivers from.
        (
            {"GITHUB_WEBHOOK_SECRET": "w", "GITHUB_TOKEN": "t", "GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": "k"},
            "app",
        ),
        ({"GITHUB_WEBHOOK_SECRET": "w", "GITHUB_TOKEN": "ghp_x"}, None),  # a token names no webhook
        ({"GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "pem"}, None),  # no endpoint, nothing refused
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "acme/api", "OPSBOT_GITHUB_REDELIVER_WINDOW": "0"}, None),
    ],
    ids=["app", "repo-hook", "org-hook", "app-and-token", "token-alone", "no-webhook", "window-0"],
)
def test_whose_refused_webhooks_are_asked_for_again(env: dict[str, str], recovered: str | None) -> None:
    assert Settings.from_env(env).github_redelivery == recovered


def test_a_hook_is_named_by_its_id_and_where_it_is() -> None:
    settings = Settings.from_env({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "acme/api"})
    assert settings.github_hook is not None
    assert (settings.github_hook.id, settings.github_hook.repo, settings.github_hook.org) == (12, "acme/api", None)
    assert settings.github_redeliver_window == 3 * 3600
    assert Settings.from_env({"OPSBOT_GITHUB_REDELIVER_WINDOW": "900"}).github_redeliver_window == 900


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_ID": "hook-12", "GITHUB_WEBHOOK_HOOK_REPO": "a/b"}, "numeric id"),
        (HOOKED, "needs one of GITHUB_WEBHOOK_HOOK_REPO"),
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "a/b", "GITHUB_WEBHOOK_HOOK_ORG": "a"}, "needs one of"),
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "acme"}, "must be owner/name"),
        ({**HOOKED, "GITHUB_WEBHOOK_HOOK_REPO": "acme/api/x"}, "must be owner/name"),
        ({"GITHUB_WEBHOOK_HOOK_REPO": "acme/api"}, "need GITHUB_WEBHOOK_HOOK_ID"),
        ({"GITHUB_WEBHOOK_HOOK_ID": "12", "GITHUB_WEBHOOK_HOOK_ORG": "acme"}, "needs GITHUB_TOKEN"),
        ({"OPSBOT_GITHUB_REDELIVER_WINDOW": "-1"}, "OPSBOT_GITHUB_REDELIVER_WINDOW must be 0 or more"),
        ({"OPSBOT_GITHUB_REDELIVER_WINDOW": "3h"}, "OPSBOT_GITHUB_REDELIVER_WINDOW must be a number"),
    ],
)
def test_a_hook_half_named_is_a_problem(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert any(problem in line for line in caught.value.problems), caught.value.problems
