"""GitHub as a GitHub App: a signed JWT buys an installation token, which posts."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tests.harness import BotUnderTest, Emulators, bot_env
from tests.test_end_to_end import REPO, by_bot, posted, setup_github


def app_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()).decode()


@pytest.mark.parametrize("one_line", [False, True], ids=["pem", "pem-on-one-line"])
async def test_a_github_app_answers_with_an_installation_token(
    redis_url: str, redis_client: object, emulators: Emulators, one_line: bool
) -> None:
    key = app_key()
    env = bot_env(
        redis_url,
        emulators,
        GITHUB_TOKEN="",
        GITHUB_APP_ID="4242",
        GITHUB_APP_PRIVATE_KEY=key.replace("\n", "\\n") if one_line else key,
    )
    async with BotUnderTest(env) as bot:
        assert bot.settings.github_credentials == "app"
        number = setup_github(emulators)
        await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
        await bot.run_jobs()
    assert len(by_bot(emulators.github.comments(REPO, number))) == 1
    minted = emulators.github.requests_to("POST", r"^/app/installations/\d+/access_tokens$")
    assert len(minted) == 1  # one token, reused for every call
    assert minted[0].headers["authorization"].startswith("Bearer ey")  # a JWT, signed with the App's key
